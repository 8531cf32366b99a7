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

export interface ComponentStats {
  count: number;
  /** Per component (index 0..count-1): pixel count and bounding box (inclusive). */
  areas: Int32Array;
  x0: Int32Array;
  y0: Int32Array;
  x1: Int32Array;
  y1: Int32Array;
}

/**
 * Areas and bounding boxes of the 4-connected parts of `mask === value`, without a label image: the same
 * union-find pass as labelComponents over two rows of provisional labels, the statistics gathered per
 * provisional label and merged into the roots (one pass instead of two, and no full-size label array).
 */
export function componentStats(mask: Uint8Array, width: number, height: number, value: 0 | 1): ComponentStats {
  let prev = new Int32Array(width),
    cur = new Int32Array(width);
  let cap = 1024;
  let parent: Int32Array = new Int32Array(cap),
    area: Int32Array = new Int32Array(cap),
    bx0: Int32Array = new Int32Array(cap);
  let by0: Int32Array = new Int32Array(cap),
    bx1: Int32Array = new Int32Array(cap),
    by1: Int32Array = new Int32Array(cap);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  const grow = (a: Int32Array): Int32Array => {
    const g = new Int32Array(cap);
    g.set(a);
    return g;
  };
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) {
      if (mask[o + x] !== value) {
        cur[x] = 0;
        continue;
      }
      const left = x > 0 ? cur[x - 1]! : 0;
      const up = prev[x]!;
      let l: number;
      if (left === 0 && up === 0) {
        if (next === cap) {
          cap *= 2;
          parent = grow(parent);
          area = grow(area);
          bx0 = grow(bx0);
          by0 = grow(by0);
          bx1 = grow(bx1);
          by1 = grow(by1);
        }
        l = next++;
        parent[l] = l;
        bx0[l] = x;
        by0[l] = y;
        bx1[l] = x;
        by1[l] = y;
      } else if (left !== 0 && up !== 0 && left !== up) {
        const a = find(left),
          b = find(up);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        l = Math.min(a, b);
      } else l = left || up;
      cur[x] = l;
      area[l]!++;
      if (x < bx0[l]!) bx0[l] = x;
      if (x > bx1[l]!) bx1[l] = x;
      if (y < by0[l]!) by0[l] = y;
      if (y > by1[l]!) by1[l] = y;
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  // Merge each provisional label's statistics into its root (labels only ever point to smaller ones).
  const id = new Int32Array(next).fill(-1);
  let count = 0;
  for (let l = 1; l < next; l++) if (find(l) === l) id[l] = count++;
  const out: ComponentStats = {
    count,
    areas: new Int32Array(count),
    x0: new Int32Array(count).fill(width),
    y0: new Int32Array(count).fill(height),
    x1: new Int32Array(count).fill(-1),
    y1: new Int32Array(count).fill(-1),
  };
  for (let l = 1; l < next; l++) {
    const c = id[find(l)]!;
    out.areas[c] = out.areas[c]! + area[l]!;
    if (bx0[l]! < out.x0[c]!) out.x0[c] = bx0[l]!;
    if (by0[l]! < out.y0[c]!) out.y0[c] = by0[l]!;
    if (bx1[l]! > out.x1[c]!) out.x1[c] = bx1[l]!;
    if (by1[l]! > out.y1[c]!) out.y1[c] = by1[l]!;
  }
  return out;
}
