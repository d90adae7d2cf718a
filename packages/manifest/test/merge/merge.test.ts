import { mergeTargets, type StorageItem, type SysTarget } from '@mos/manifest';

const t = (name: string, sha: string): SysTarget => ({ name, source: `${sha.repeat(64)}.json` });
const s = (label: string, size = 1): StorageItem => ({ label, persistent: true, nsgroup: '', size });

describe('mergeTargets', () => {
  const current = { targets: [t('hostfs', 'a'), t('web', 'a'), t('db', 'a')], storage: [s('web-data'), s('db-data')] };

  test.each([
    ['complete replaces everything', { targets: [t('hostfs', 'b')], storage: [] }, 'complete', [t('hostfs', 'b')], []],
    ['complete with new targets only', { targets: [t('x', 'b'), t('y', 'b')], storage: [s('z')] }, 'complete', [t('x', 'b'), t('y', 'b')], [s('z')]],
    ['partial adds a target at the end', { targets: [t('cache', 'b')], storage: [] }, 'partial', [...current.targets, t('cache', 'b')], current.storage],
    ['partial replaces by name, old order kept for the rest', { targets: [t('web', 'b')], storage: [] }, 'partial', [t('hostfs', 'a'), t('db', 'a'), t('web', 'b')], current.storage],
    ['partial replaces storage by label', { targets: [], storage: [s('web-data', 5)] }, 'partial', current.targets, [s('db-data'), s('web-data', 5)]],
    ['partial with nothing changes nothing', { targets: [], storage: [] }, 'partial', current.targets, current.storage],
  ] as const)('%s', (_w, update, type, targets, storage) => {
    const merged = mergeTargets(current, { targets: [...update.targets], storage: [...update.storage] }, type);
    expect(merged.targets).toEqual(targets);
    expect(merged.storage).toEqual(storage);
  });

  test('the inputs are not modified', () => {
    const before = JSON.stringify(current);
    mergeTargets(current, { targets: [t('web', 'b')], storage: [s('x')] }, 'partial');
    expect(JSON.stringify(current)).toBe(before);
  });
});
