import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lib';
import { inviteBody, needsPassword } from './members';

describe('members', () => {
  it('builds the invite body without blanks', () => {
    expect(inviteBody({ email: ' a@b.c ', role: 'annotator', name: '', password: '' })).toEqual({ email: 'a@b.c', role: 'annotator' });
    expect(inviteBody({ email: 'a@b.c', role: 'reviewer', name: 'Ann', password: 'secret123' })).toEqual({ email: 'a@b.c', role: 'reviewer', name: 'Ann', password: 'secret123' });
  });

  it('recognizes the API asking for a password', () => {
    expect(needsPassword(new ApiError(422, 'invalid', 'password: required for a new user', { field: 'password' }))).toBe(true);
    expect(needsPassword(new ApiError(422, 'invalid', 'x', { errors: [{ path: 'body.password', message: 'too short' }] }))).toBe(true);
    expect(needsPassword(new ApiError(409, 'conflict', 'already a member'))).toBe(false);
  });
});
