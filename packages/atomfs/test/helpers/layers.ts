import { join } from 'node:path';
import { buildLayer, type LayerSpec } from '@mos/atomfs';
import { busyboxLayers } from './fixtures';

/** The three busybox fixture layers built as squashfs+verity files, as molecule input. */
export async function builtLayers(dir: string): Promise<{ base: LayerSpec; del: LayerSpec; opq: LayerSpec; tars: ReturnType<typeof busyboxLayers> }> {
  const tars = busyboxLayers(dir);
  const one = async (name: 'base' | 'del' | 'opq'): Promise<LayerSpec> => {
    const r = await buildLayer({ source: tars[name], out: join(dir, `${name}.sqfs`) });
    return { id: name, path: r.path, rootHash: r.rootHash };
  };
  return { base: await one('base'), del: await one('del'), opq: await one('opq'), tars };
}
