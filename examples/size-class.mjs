// js producer example: classifies a country or territory by land area.
// Called once per row with `input` = { name, area_km2 } rendered from the row (strings).
// Returns one of: "micro" (< 1,000 km²), "small" (< 100,000), "medium" (< 1,000,000),
// "large" (< 5,000,000), "very_large". A row whose area is not a positive number (in
// world-countries 5.1.0 only Svalbard and Jan Mayen, recorded as -1) fails permanently:
// retrying cannot fix the data: an error with `retryable: false` tells Runyard not to retry.

/** Upper bounds (exclusive), km², in increasing order. */
export const SIZE_CLASSES = [
  [1_000, 'micro'],
  [100_000, 'small'],
  [1_000_000, 'medium'],
  [5_000_000, 'large'],
];

export default function sizeClass(input) {
  const name = String(input?.name ?? '(unnamed row)');
  const raw = input?.area_km2;
  const area = typeof raw === 'number' ? raw : Number(String(raw ?? '').trim() || NaN);
  if (!Number.isFinite(area) || area <= 0) {
    const err = new Error(`area_km2 is ${JSON.stringify(raw)} for ${name}: the source data has no usable area for this row`);
    throw Object.assign(err, { code: 'missing_area', retryable: false });
  }
  for (const [limit, label] of SIZE_CLASSES) if (area < limit) return label;
  return 'very_large';
}
