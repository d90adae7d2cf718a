import { createHash } from 'node:crypto';

export const sha256hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
