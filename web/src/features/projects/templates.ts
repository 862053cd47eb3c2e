/** Starting points for a new project's label schema, written as the YAML a user would edit. */

/** COCO's 17 person keypoints, in COCO order. */
export const COCO_KEYPOINTS = [
  'nose',
  'left_eye',
  'right_eye',
  'left_ear',
  'right_ear',
  'left_shoulder',
  'right_shoulder',
  'left_elbow',
  'right_elbow',
  'left_wrist',
  'right_wrist',
  'left_hip',
  'right_hip',
  'left_knee',
  'right_knee',
  'left_ankle',
  'right_ankle',
] as const;

// COCO's person skeleton, 1-based indexes into COCO_KEYPOINTS (as in person_keypoints_*.json).
const COCO_SKELETON_1: readonly (readonly [number, number])[] = [
  [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8], [7, 9],
  [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7],
];

/** COCO's 19 skeleton edges as keypoint-name pairs. */
export const COCO_SKELETON: readonly (readonly [string, string])[] = COCO_SKELETON_1.map(
  ([a, b]) => [COCO_KEYPOINTS[a - 1] as string, COCO_KEYPOINTS[b - 1] as string] as const,
);

/** A template offered on the new-project screen. */
export interface SchemaTemplate {
  id: string;
  title: string;
  summary: string;
  yaml: string;
}

const list = (xs: readonly string[]) => `[${xs.join(', ')}]`;

const KEYPOINTS_YAML = [
  'media: image',
  'tools:',
  '  - name: person',
  '    type: keypoints',
  '    labels:',
  '      - {name: person, color: "#e6550d", hotkey: "1"}',
  '    keypoints:',
  ...COCO_KEYPOINTS.map((k) => `      - ${k}`),
  '    skeleton:',
  ...COCO_SKELETON.map(([a, b]) => `      - ${list([a, b])}`),
  '',
].join('\n');

/** The templates, in the order they are shown. */
export const TEMPLATES: readonly SchemaTemplate[] = [
  {
    id: 'object-detection',
    title: 'Object detection',
    summary: 'Bounding boxes around objects.',
    yaml: `media: image
tools:
  - name: objects
    type: bbox
    labels:
      - {name: car, color: "#1f77b4", hotkey: "1"}
      - {name: person, color: "#d62728", hotkey: "2"}
      - {name: bicycle, color: "#2ca02c", hotkey: "3"}
`,
  },
  {
    id: 'instance-segmentation',
    title: 'Instance segmentation',
    summary: 'Polygons and brush masks, one per object.',
    yaml: `media: image
tools:
  - name: outlines
    type: polygon
    labels:
      - {name: car, color: "#1f77b4", hotkey: "1"}
      - {name: person, color: "#d62728", hotkey: "2"}
  - name: masks
    type: mask
    labels:
      - {name: car, color: "#1f77b4"}
      - {name: person, color: "#d62728"}
`,
  },
  {
    id: 'keypoints',
    title: 'Keypoints (person pose)',
    summary: "COCO's 17 body keypoints with the person skeleton.",
    yaml: KEYPOINTS_YAML,
  },
  {
    id: 'image-classification',
    title: 'Image classification',
    summary: 'One class per image.',
    yaml: `media: image
tools:
  - name: class
    type: classification
    choices: [cat, dog, other]
    multiple: false
    required: true
`,
  },
];

/** The template called `id`. */
export function templateById(id: string): SchemaTemplate | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
