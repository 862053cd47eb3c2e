import { describe, expect, it } from 'vitest';
import { inviteBody } from './members';

describe('members', () => {
  it('builds the invite body: a blank name left out, the password always sent', () => {
    expect(inviteBody({ email: ' a@b.c ', role: 'annotator', name: '', password: 'secret123' })).toEqual({ email: 'a@b.c', role: 'annotator', password: 'secret123' });
    expect(inviteBody({ email: 'a@b.c', role: 'reviewer', name: ' Ann ', password: 'secret123' })).toEqual({ email: 'a@b.c', role: 'reviewer', name: 'Ann', password: 'secret123' });
  });
});
