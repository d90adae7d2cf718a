/** One used entry of a GUID partition table. */
export interface GptEntry {
  /** 1-based entry index: the partition number the kernel and partx give it. */
  number: number;
  /** The partition name (PARTLABEL), UTF-16LE in the table. */
  name: string;
  /** Type and unique GUIDs, upper case, in the usual text form. */
  type: string;
  uuid: string;
  /** First and last logical sector (inclusive). */
  firstLba: number;
  lastLba: number;
}

const SIGNATURE = 'EFI PART';
const MAX_ENTRIES = 1024;

/**
 * Reads the primary GPT of a disk through `read(offset, length)`: the header at LBA 1, then
 * its entry array. Returns undefined when there is no GPT header (no signature, or a
 * malformed header). Pure: the caller reads the bytes (a device, an image file, a buffer).
 * The CRCs are not checked: this names partitions, it does not repair tables.
 *
 * @example
 * import { readGpt } from '@mos/mosctl';
 * const buf = readFileSync('disk.img');
 * readGpt((o, n) => buf.subarray(o, o + n), 512)?.map((e) => e.name); // ['esp', 'machine-config', …]
 */
export function readGpt(read: (offset: number, length: number) => Buffer, sectorSize: number): GptEntry[] | undefined {
  const h = read(sectorSize, 92);
  if (h.length < 92 || h.toString('latin1', 0, 8) !== SIGNATURE) return undefined;
  const entriesLba = Number(h.readBigUInt64LE(72));
  const count = h.readUInt32LE(80);
  const size = h.readUInt32LE(84);
  if (count === 0 || count > MAX_ENTRIES || size < 128 || size > 4096 || size % 8 !== 0 || !Number.isSafeInteger(entriesLba * sectorSize)) return undefined;
  const table = read(entriesLba * sectorSize, count * size);
  const out: GptEntry[] = [];
  for (let i = 0; i + size <= table.length; i += size) {
    const e = table.subarray(i, i + size);
    const type = guid(e.subarray(0, 16));
    if (type === '00000000-0000-0000-0000-000000000000') continue;
    const raw = e.subarray(56, 128);
    let end = 0;
    while (end + 1 < raw.length && (raw[end] !== 0 || raw[end + 1] !== 0)) end += 2;
    out.push({
      number: i / size + 1,
      name: raw.toString('utf16le', 0, end),
      type,
      uuid: guid(e.subarray(16, 32)),
      firstLba: Number(e.readBigUInt64LE(32)),
      lastLba: Number(e.readBigUInt64LE(40)),
    });
  }
  return out;
}

/** A GUID in its mixed-endian on-disk form → `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`. */
function guid(b: Buffer): string {
  const hex = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => hex(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`.toUpperCase();
}
