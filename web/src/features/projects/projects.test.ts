import { describe, expect, it } from 'vitest';
import { availableText, heldText, settingsPatch, type SettingsForm } from './projects';

const base: SettingsForm = { name: 'A', description: '', overlap: 1, lease_minutes: 30, blind: false, instructions: '', schema: 'media: image' };

describe('settingsPatch', () => {
  it('sends only changed fields', () => {
    expect(settingsPatch(base, { ...base })).toEqual({});
    expect(settingsPatch(base, { ...base, overlap: 3, blind: true, schema: 'media: text' })).toEqual({ overlap: 3, blind: true, label_schema: 'media: text' });
  });
});

describe('heldText', () => {
  it('says how many held tasks have a saved draft', () => {
    expect(heldText({ leased: 0, drafts: 0 })).toBe('0');
    expect(heldText({ leased: 1, drafts: 0 })).toBe('1');
    expect(heldText({ leased: 1, drafts: 1 })).toBe('1 (draft saved)');
    expect(heldText({ leased: 2, drafts: 2 })).toBe('2 (drafts saved)');
    expect(heldText({ leased: 3, drafts: 1 })).toBe('3 (1 draft saved)');
    expect(heldText({ leased: 3, drafts: 2 })).toBe('3 (2 drafts saved)');
  });
});

describe('availableText', () => {
  it('marks a count the server stopped at', () => {
    expect(availableText({ available: 24, more_available: false })).toBe('24');
    expect(availableText({ available: 10000, more_available: true })).toBe('10,000+');
  });
});
