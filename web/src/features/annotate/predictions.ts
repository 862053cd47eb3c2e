/** Model predictions as suggestions: the newest prediction's regions with origin "model". */

import { regionFromResult, type Region } from '../../core';

/** A prediction as the API returns it. */
export interface PredictionLike {
  id: number;
  created_at: string;
  score: number | null;
  model_version: string | null;
  result: unknown[];
}

/**
 * Regions of the newest prediction (by creation time, then id) as `origin: "model"` with their
 * score (the region's own, else the prediction's). Regions that are malformed or that the view
 * does not show (`shows`, e.g. a span on an image) are skipped and counted; ids already in use
 * get a suffix.
 */
export function suggestionsFrom(
  predictions: readonly PredictionLike[],
  taken: ReadonlySet<string> = new Set(),
  shows: (region: Region) => boolean = () => true,
): { regions: Region[]; skipped: number; modelVersion: string | null } {
  const newest = [...predictions].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id)[0];
  if (!newest) return { regions: [], skipped: 0, modelVersion: null };
  const regions: Region[] = [];
  const used = new Set(taken);
  let skipped = 0;
  newest.result.forEach((raw, i) => {
    if (typeof raw !== 'object' || raw === null) {
      skipped++;
      return;
    }
    const item = { ...(raw as Record<string, unknown>) };
    let id = typeof item['id'] === 'string' && item['id'] !== '' ? item['id'] : `pred-${newest.id}-${i}`;
    while (used.has(id)) id = `${id}-m`;
    used.add(id);
    item['id'] = id;
    item['origin'] = 'model';
    if (item['score'] === undefined && newest.score !== null) item['score'] = newest.score;
    try {
      const region = regionFromResult(item, `prediction.result[${i}]`);
      if (shows(region)) regions.push(region);
      else skipped++;
    } catch {
      skipped++;
    }
  });
  return { regions, skipped, modelVersion: newest.model_version };
}
