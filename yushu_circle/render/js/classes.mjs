// Colour classes: which of the page's colours (handed over by Python, render/palette.py) a
// value takes. A class {max, color, label} holds values up to max (null: no upper bound).

export function binOf(value, bins) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  for (const bin of bins) if (bin.max === null || bin.max === undefined || value <= bin.max) return bin;
  return null;
}

export function minutesColor(colors, minutes) {
  const bin = binOf(minutes, colors.minutes);
  return bin ? bin.color : colors.none;
}

export function scoreColor(colors, score) {
  const bin = binOf(score, colors.score);
  return bin ? bin.color : colors.none;
}

// The colour of a 5/10/15-minute reach band (drawn) and as seen over the lower bands.
export function reachColor(colors, minutes) {
  const band = colors.reach.find((r) => r.minutes === minutes);
  return band ? band.color : colors.none;
}
