import { describe, expect, it } from 'vitest';
import { newPasswordProblem, passwordChangedNote, sortTokens, type ApiToken } from './account';

const token = (id: number, revoked: boolean): ApiToken => ({
  id,
  name: `t${id}`,
  prefix: 'acc_abcdef',
  created_at: '2026-11-28T07:00:00Z',
  last_used_at: null,
  revoked_at: revoked ? '2026-11-28T08:00:00Z' : null,
});

describe('account', () => {
  it('lists tokens in use first, newest first', () => {
    expect(sortTokens([token(1, false), token(2, true), token(3, false), token(4, true)]).map((t) => t.id)).toEqual([3, 1, 4, 2]);
  });

  it('checks a new password before sending it', () => {
    expect(newPasswordProblem({ current: 'old password', next: 'short', repeat: 'short' })).toMatch(/at least 8/);
    expect(newPasswordProblem({ current: 'old password', next: 'new password', repeat: 'new passwort' })).toMatch(/differ/);
    expect(newPasswordProblem({ current: 'same password', next: 'same password', repeat: 'same password' })).toMatch(/same as the current/);
    expect(newPasswordProblem({ current: 'old password', next: 'new password', repeat: 'new password' })).toBeNull();
  });

  it('says whether the API tokens still work after a password change', () => {
    expect(passwordChangedNote(false)).toMatch(/tokens still work/);
    expect(passwordChangedNote(true)).toMatch(/every API token is revoked/);
  });
});
