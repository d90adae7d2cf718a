// The public API arrives with this package's issue; see README.md.
export {};
