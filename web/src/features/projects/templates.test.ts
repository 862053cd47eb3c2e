import { describe, expect, it } from 'vitest';
import { COCO_KEYPOINTS, COCO_SKELETON, TEMPLATES, templateById } from './templates';

describe('templates', () => {
  it('has the four starting points', () => {
    expect(TEMPLATES.map((t) => t.id)).toEqual([
      'object-detection',
      'instance-segmentation',
      'keypoints',
      'image-classification',
    ]);
    expect(templateById('object-detection')?.yaml).toContain('type: bbox');
    const seg = templateById('instance-segmentation')?.yaml ?? '';
    expect(seg).toContain('type: polygon');
    expect(seg).toContain('type: mask');
    expect(templateById('image-classification')?.yaml).toContain('type: classification');
  });

  it("uses COCO's person skeleton: 17 keypoints, 19 edges between declared names", () => {
    expect(COCO_KEYPOINTS).toHaveLength(17);
    expect(COCO_SKELETON).toHaveLength(19);
    for (const [a, b] of COCO_SKELETON) {
      expect(COCO_KEYPOINTS).toContain(a);
      expect(COCO_KEYPOINTS).toContain(b);
    }
    expect(COCO_SKELETON).toContainEqual(['left_ankle', 'left_knee']);
    expect(COCO_SKELETON).toContainEqual(['nose', 'left_eye']);
    const yaml = templateById('keypoints')?.yaml ?? '';
    expect(yaml).toContain('type: keypoints');
    expect(yaml).toContain('      - [left_shoulder, right_shoulder]');
    expect(yaml.match(/^ {6}- \[/gm)).toHaveLength(19);
  });
});
