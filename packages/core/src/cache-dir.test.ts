import { describe, expect, it } from 'vitest';
import { CACHE_DIR_ENV_VAR, userCacheDir } from './cache-dir.js';

describe('userCacheDir', () => {
  it('prefers LLMEDIT_CACHE_DIR, then XDG_CACHE_HOME/llmedit, then ~/.cache/llmedit', () => {
    const all = { [CACHE_DIR_ENV_VAR]: '/x/mine', XDG_CACHE_HOME: '/x/xdg', HOME: '/home/ada' };
    expect(userCacheDir('stats', all)).toBe('/x/mine/stats');
    expect(userCacheDir(undefined, all)).toBe('/x/mine');
    expect(userCacheDir('stats', { ...all, [CACHE_DIR_ENV_VAR]: '' })).toBe('/x/xdg/llmedit/stats');
    expect(userCacheDir('stats', { HOME: '/home/ada', XDG_CACHE_HOME: '' })).toBe(
      '/home/ada/.cache/llmedit/stats',
    );
    expect(userCacheDir(undefined, { HOME: '/home/ada/' })).toBe('/home/ada/.cache/llmedit');
  });

  it("uses USERPROFILE's separator on Windows, and has no folder without a home or environment", () => {
    expect(userCacheDir('stats', { USERPROFILE: 'C:\\Users\\ada' })).toBe(
      'C:\\Users\\ada\\.cache\\llmedit\\stats',
    );
    expect(userCacheDir('stats', {})).toBeUndefined();
  });

  it('reads process.env by default', () => {
    const saved = process.env[CACHE_DIR_ENV_VAR];
    process.env[CACHE_DIR_ENV_VAR] = '/tmp/llmedit-cache-test';
    try {
      expect(userCacheDir('serac')).toBe('/tmp/llmedit-cache-test/serac');
    } finally {
      if (saved === undefined) delete process.env[CACHE_DIR_ENV_VAR];
      else process.env[CACHE_DIR_ENV_VAR] = saved;
    }
  });
});
