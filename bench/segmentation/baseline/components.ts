// Frozen copy of the 0.1 algorithm (see README.md); only imports were changed.
/**
 * Connected components (4-connectivity) on a binary mask: classic two-pass labelling with union-find, so
 * memory access stays sequential and a 50 MP mask needs no recursion and no per-pixel allocation.
 */

export interface Components {
  /** Component id per pixel (0 = not of the requested value). Ids start at 1. */
  labels: Int32Array;
  /** areas[id] = pixel count; touchesBorder[id] = whether it reaches the image edge. Index 0 unused. */
  areas: Int32Array;
  touchesBorder: Uint8Array;
  count: number;
}

export function labelComponents(mask: Uint8Array, width: number, height: number, value: 0 | 1): Components {
  const n = width * height;
  const labels = new Int32Array(n);
  let parent = new Int32Array(1024);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!; // path halving
      a = parent[a]!;
    }
    return a;
  };
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const i = o + x;
      if (mask[i] !== value) continue;
      const left = x > 0 ? labels[i - 1]! : 0;
      const up = y > 0 ? labels[i - width]! : 0;
      if (left === 0 && up === 0) {
        if (next === parent.length) {
          const grown = new Int32Array(parent.length * 2);
          grown.set(parent);
          parent = grown;
        }
        parent[next] = next;
        labels[i] = next++;
      } else if (left !== 0 && up !== 0 && left !== up) {
        const a = find(left);
        const b = find(up);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        labels[i] = Math.min(a, b);
      } else {
        labels[i] = left || up;
      }
    }
  }
  // Compact roots to ids 1..count.
  const id = new Int32Array(next);
  let count = 0;
  for (let l = 1; l < next; l++) {
    const r = find(l);
    id[l] = r === l ? ++count : 0;
  }
  for (let l = 1; l < next; l++) if (id[l] === 0) id[l] = id[find(l)]!;
  const areas = new Int32Array(count + 1);
  const touchesBorder = new Uint8Array(count + 1);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const edgeRow = y === 0 || y === height - 1;
    for (let x = 0; x < width; x++) {
      const l = labels[o + x]!;
      if (l === 0) continue;
      const c = id[l]!;
      labels[o + x] = c;
      areas[c]!++;
      if (edgeRow || x === 0 || x === width - 1) touchesBorder[c] = 1;
    }
  }
  return { labels, areas, touchesBorder, count };
}

export interface CleanupOptions {
  /** Foreground parts smaller than this share of the largest part are specks. */
  minPartOfLargest: number;
  /** Foreground parts smaller than this share of the image are specks. */
  minPartOfImage: number;
  /** Enclosed backdrop-coloured holes smaller than this share of the image are noise inside the product. */
  maxHoleOfImage: number;
}

/**
 * Removes stray specks and fills pinholes in place. Large enclosed backdrop regions (a cup handle, the
 * inside of a ring) are kept as background: the decision is by colour, the cleanup only removes noise.
 */
export function cleanupMask(mask: Uint8Array, width: number, height: number, opts: CleanupOptions): { foreground: number } {
  const n = width * height;
  const fg = labelComponents(mask, width, height, 1);
  let largest = 0;
  for (let c = 1; c <= fg.count; c++) if (fg.areas[c]! > largest) largest = fg.areas[c]!;
  const minArea = Math.max(opts.minPartOfLargest * largest, opts.minPartOfImage * n);
  let foreground = 0;
  for (let i = 0; i < n; i++) {
    const c = fg.labels[i]!;
    if (c === 0) continue;
    if (fg.areas[c]! < minArea) mask[i] = 0;
    else foreground++;
  }
  const bg = labelComponents(mask, width, height, 0);
  const maxHole = opts.maxHoleOfImage * n;
  for (let i = 0; i < n; i++) {
    const c = bg.labels[i]!;
    if (c !== 0 && !bg.touchesBorder[c] && bg.areas[c]! <= maxHole) {
      mask[i] = 1;
      foreground++;
    }
  }
  return { foreground };
}
