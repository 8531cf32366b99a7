/** Server-rendered pages of the dashboard. Every value goes through the escaping `html` tag. */
import {
  JOB_STATUSES,
  describeStatus,
  isTerminal,
  parseCompositeKey,
  type CutoutQuality,
  type Job,
  type JobEvent,
  type JobPage,
  type JobStats,
  type JobStatus,
} from 'jobkit';
import { SCRIPT, STYLESHEET } from './assets.js';
import { html, type SafeHtml } from './html.js';
import type { Session } from './sessions.js';

export interface PageContext {
  base: string;
  title: string;
  session: Session | null;
  now: Date;
  /** Below this quality score a cut is doubtful (the service's review threshold). */
  minScore: number;
}

export interface LiveRegion {
  pollUrl: string;
  fingerprint: string;
  intervalMs: number;
}

// ---- formatting ----

function formatUsd(n: number): string {
  if (n === 0) return '$0.00';
  return n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}

function formatAge(fromIso: string | null, now: Date): string {
  if (!fromIso) return '—';
  const sec = Math.max(0, Math.round((now.getTime() - Date.parse(fromIso)) / 1000));
  if (sec < 60) return `${sec} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  if (sec < 86_400) return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
  return `${Math.floor(sec / 86_400)} d`;
}

function formatTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}

function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

const label = (status: string) => status.replace(/_/g, ' ');
const chip = (status: JobStatus | string) => html`<span class="chip s-${status}">${label(status)}</span>`;

// ---- layout ----

function csrfField(session: Session | null): SafeHtml {
  return session ? html`<input type="hidden" name="_csrf" value="${session.csrf}">` : html``;
}

function document(ctx: PageContext, title: string, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · ${ctx.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ctx.base}/assets/${STYLESHEET.name}">
<script src="${ctx.base}/assets/${SCRIPT.name}" defer></script>
</head>
<body>
${body}
</body>
</html>`;
}

function shell(ctx: PageContext, title: string, main: SafeHtml, active: 'jobs' | 'review' = 'jobs'): SafeHtml {
  return document(
    ctx,
    title,
    html`<header class="topbar">
  <a class="brand" href="${ctx.base}/">${ctx.title} <span>dashboard</span></a>
  <nav><a class="${active === 'jobs' ? 'active' : ''}" href="${ctx.base}/">Jobs</a><a class="${active === 'review' ? 'active' : ''}" href="${ctx.base}/review">Review</a></nav>
  <span class="spacer"></span>
  <span class="live-status" id="live-status" data-state="idle">Static</span>
  <form method="post" action="${ctx.base}/logout">${csrfField(ctx.session)}<button class="linkbtn" type="submit">Log out</button></form>
</header>
<main>
${main}
</main>`,
  );
}

function flash(session: Session | null): SafeHtml {
  const f = session?.flash;
  if (!f) return html``;
  session.flash = null;
  return html`<div class="flash ${f.kind}" role="status">${f.text}</div>`;
}

function liveAttrs(live: LiveRegion): SafeHtml {
  return html`id="live" data-poll="${live.pollUrl}" data-fingerprint="${live.fingerprint}" data-interval="${live.intervalMs}"`;
}

// ---- pages ----

export function loginPage(ctx: PageContext, error: string | null): SafeHtml {
  return document(
    ctx,
    'Sign in',
    html`<div class="login-wrap">
  <form class="login" method="post" action="${ctx.base}/login" autocomplete="off">
    <div class="brand">${ctx.title} <span>dashboard</span></div>
    <h1>Sign in</h1>
    <p class="muted">Use an API token of this server.</p>
    ${error ? html`<div class="flash error" role="alert" id="login-error">${error}</div>` : ''}
    <label for="token">API token</label>
    <input id="token" name="token" type="password" required autofocus spellcheck="false" autocomplete="off">
    <button class="btn primary" type="submit">Sign in</button>
    <p class="hint">The token is exchanged for a session cookie (HttpOnly, SameSite=Strict); it is never stored in the browser.</p>
  </form>
</div>`,
  );
}

export function errorPage(ctx: PageContext, status: number, message: string): SafeHtml {
  const body = html`<div class="errorpage panel">
  <div><h1>${status === 404 ? 'Not found' : status === 403 ? 'Forbidden' : 'Something went wrong'}</h1>
  <p class="muted">${message}</p>
  <p><a class="btn" href="${ctx.base}/">Back to jobs</a></p></div>
</div>`;
  return ctx.session ? shell(ctx, `Error ${status}`, body) : document(ctx, `Error ${status}`, html`<main>${body}</main>`);
}

export interface JobsFilter {
  status?: JobStatus | undefined;
  sku?: string | undefined;
  theme?: string | undefined;
}

export interface JobsPageData {
  stats: JobStats;
  page: JobPage;
  filter: JobsFilter;
  /** Presigned thumbnail URL per job id. */
  thumbs: ReadonlyMap<string, string>;
  live: LiveRegion;
  /** A filter that failed validation. */
  filterError: string | null;
}

/** Query string for the jobs list, keeping the filter and changing the offset. */
export function listQuery(filter: JobsFilter, offset = 0): string {
  const q = new URLSearchParams();
  if (filter.status) q.set('status', filter.status);
  if (filter.sku) q.set('sku', filter.sku);
  if (filter.theme) q.set('theme', filter.theme);
  if (offset > 0) q.set('offset', String(offset));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function jobsPage(ctx: PageContext, d: JobsPageData): SafeHtml {
  const { stats, page, filter } = d;
  const inFlight = JOB_STATUSES.filter((s) => !isTerminal(s) && s !== 'NEW').reduce((n, s) => n + (stats.byStatus[s] ?? 0), 0);
  const base = ctx.base;
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = Math.min(page.offset + page.jobs.length, page.total);
  const prev = page.offset > 0 ? Math.max(0, page.offset - page.limit) : null;
  const next = page.offset + page.limit < page.total ? page.offset + page.limit : null;

  const rows = page.jobs.map((job) => {
    const thumb = d.thumbs.get(job.id);
    return html`<tr data-job="${job.id}">
  <td>${thumb ? html`<img class="thumb" src="${thumb}" alt="${job.sku}" width="52" height="52" decoding="async">` : html`<span class="thumb empty">—</span>`}</td>
  <td><a class="sku" href="${base}/jobs/${job.id}">${job.sku}</a><span class="jobid">${job.id}</span></td>
  <td>${job.theme}</td>
  <td>${chip(job.status)}</td>
  <td class="num">${job.attempts}/${job.maxAttempts}</td>
  <td class="num">${formatUsd(job.costUsd)}</td>
  <td class="num" title="${job.createdAt}">${formatAge(job.createdAt, ctx.now)}</td>
  <td class="num" title="${job.updatedAt}">${formatAge(job.updatedAt, ctx.now)}</td>
</tr>`;
  });

  const statusLinks = JOB_STATUSES.map(
    (s) =>
      html`<a href="${base}/${listQuery({ ...filter, status: filter.status === s ? undefined : s })}" class="${filter.status === s ? 'selected' : ''}">${chip(s)}<span class="count">${stats.byStatus[s] ?? 0}</span></a>`,
  );

  return shell(
    ctx,
    'Jobs',
    html`<div class="pagehead">
<h1>Jobs</h1>
<form class="filters" method="get" action="${base}/">
  <label>Status
    <select name="status">
      <option value="">Any status</option>
      ${JOB_STATUSES.map((s) => html`<option value="${s}" ${filter.status === s ? html`selected` : ''}>${label(s)}</option>`)}
    </select>
  </label>
  <label>SKU <input name="sku" value="${filter.sku ?? ''}" placeholder="e.g. VWS200433868" maxlength="64"></label>
  <label>Theme <input name="theme" value="${filter.theme ?? ''}" placeholder="e.g. default" maxlength="32"></label>
  <button class="btn primary" type="submit">Filter</button>
  <a class="btn" href="${base}/">Clear</a>
</form>
</div>
${flash(ctx.session)}
${d.filterError ? html`<div class="flash error" role="alert">${d.filterError}</div>` : ''}
<div ${liveAttrs(d.live)}>
<div class="cards">
  <div class="card"><div class="label">Jobs</div><div class="value">${stats.total}</div></div>
  <div class="card"><div class="label">In progress</div><div class="value">${inFlight}</div></div>
  <div class="card"><div class="label">Done</div><div class="value">${stats.byStatus.DONE ?? 0}</div></div>
  <div class="card"><div class="label">Failed</div><div class="value ${(stats.byStatus.FAILED ?? 0) > 0 ? 'bad' : ''}">${stats.byStatus.FAILED ?? 0}</div></div>
  <div class="card"><div class="label">Failure rate</div><div class="value">${(stats.failureRate * 100).toFixed(1)}%</div></div>
  <div class="card"><div class="label">Spend today</div><div class="value">${formatUsd(stats.costUsdToday)}</div></div>
  <div class="card"><div class="label">Spend total</div><div class="value">${formatUsd(stats.costUsdTotal)}</div></div>
  <div class="card"><div class="label">Avg. duration</div><div class="value">${formatDuration(stats.avgDurationMs)}</div></div>
</div>
<div class="statusbar">${statusLinks}</div>
<div class="panel">
${
  page.jobs.length === 0
    ? html`<div class="empty-state">No jobs${filter.status || filter.sku || filter.theme ? ' match this filter' : ' yet'}.</div>`
    : html`<table class="jobs">
  <thead><tr><th></th><th>SKU / job</th><th>Theme</th><th>Status</th><th class="num">Attempts</th><th class="num">Cost</th><th class="num">Age</th><th class="num">Updated</th></tr></thead>
  <tbody>${rows}</tbody>
</table>`
}
<div class="pager">
  <span>${first}–${last} of ${page.total}</span>
  <span class="links">
    <a class="btn ${prev === null ? 'disabled' : ''}" href="${base}/${listQuery(filter, prev ?? 0)}">‹ Newer</a>
    <a class="btn ${next === null ? 'disabled' : ''}" href="${base}/${listQuery(filter, next ?? page.offset)}">Older ›</a>
  </span>
</div>
</div>
</div>`,
  );
}

export interface ImageRef {
  key: string;
  url: string;
}

export interface JobPageData {
  job: Job;
  events: JobEvent[];
  original: ImageRef | null;
  mask: ImageRef | null;
  backgrounds: ImageRef[];
  composites: ImageRef[];
  live: LiveRegion;
  /** Whether a reject may ask for the hosted segmenter. */
  hostedSegmenter: boolean;
}

function figure(img: ImageRef, caption: SafeHtml, extraClass = ''): SafeHtml {
  return html`<figure>
  <a href="${img.url}" target="_blank" rel="noopener noreferrer"><img class="${extraClass}" src="${img.url}" alt="${img.key}" decoding="async"></a>
  <figcaption>${caption}</figcaption>
</figure>`;
}

const placeholder = (title: string, text: string) => html`<figure><div class="placeholder">${text}</div><figcaption><b>${title}</b></figcaption></figure>`;

function actionButton(
  ctx: PageContext,
  job: Job,
  action: 'start' | 'retry' | 'fail' | 'approve',
  text: string,
  cls: string,
  confirm?: string,
  from?: 'review',
): SafeHtml {
  return html`<form method="post" action="${ctx.base}/jobs/${job.id}/${action}" ${confirm ? html`data-confirm="${confirm}"` : ''}>${csrfField(ctx.session)}${from ? html`<input type="hidden" name="from" value="${from}">` : ''}<button class="btn ${cls}" type="submit" data-action="${action}">${text}</button></form>`;
}

/** Reject with a reason; with a hosted segmenter configured, optionally "segment again with it". */
function rejectForm(ctx: PageContext, job: Job, hostedSegmenter: boolean, from?: 'review'): SafeHtml {
  return html`<form class="reject" method="post" action="${ctx.base}/jobs/${job.id}/reject">${csrfField(ctx.session)}${from ? html`<input type="hidden" name="from" value="${from}">` : ''}
  <input name="reason" required maxlength="500" placeholder="Why is this cut wrong?" aria-label="Reason for rejecting ${job.sku}">
  ${hostedSegmenter ? html`<label class="check"><input type="checkbox" name="retryWith" value="hosted"> retry with hosted segmenter</label>` : ''}
  <button class="btn danger" type="submit" data-action="reject">Reject</button>
</form>`;
}

/** A cutout's score as a percentage with its class (good / doubtful). */
function qualityBadge(ctx: PageContext, q: CutoutQuality | null | undefined): SafeHtml {
  if (!q) return html`<span class="muted">—</span>`;
  return html`<span class="quality ${q.score < ctx.minScore ? 'doubtful' : 'good'}" data-score="${q.score}" title="review threshold ${ctx.minScore}">${(q.score * 100).toFixed(0)} %</span>`;
}

function qualityReasons(q: CutoutQuality | null | undefined): SafeHtml {
  if (!q || q.reasons.length === 0) return html``;
  return html`<ul class="reasons">${q.reasons.map((r) => html`<li>${r}</li>`)}</ul>`;
}

/** Quality is on the job once the core stores it. */
const qualityOf = (job: Job): CutoutQuality | null => job.quality;

export function jobPage(ctx: PageContext, d: JobPageData): SafeHtml {
  const { job } = d;
  const actions: SafeHtml[] = [];
  if (job.status === 'NEW') actions.push(actionButton(ctx, job, 'start', 'Start', 'primary'));
  if (job.status === 'FAILED' && job.purgedAt === null) actions.push(actionButton(ctx, job, 'retry', 'Retry', 'primary'));
  if (job.status === 'REVIEW') actions.push(actionButton(ctx, job, 'approve', 'Approve', 'primary'));
  if (!isTerminal(job.status)) actions.push(actionButton(ctx, job, 'fail', 'Fail job', 'danger', `Mark job ${job.sku} as FAILED?`));
  const quality = qualityOf(job);

  const facts: Array<[string, SafeHtml | string, boolean?]> = [
    ['Job id', html`<code>${job.id}</code>`, true],
    ['Theme', job.theme],
    ['Driver', job.driver ?? '—'],
    ['Attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['Cost', formatUsd(job.costUsd)],
    ['Cutout quality', html`${qualityBadge(ctx, quality)}${qualityReasons(quality)}`, true],
    ['Created', formatTime(job.createdAt), true],
    ['Started', formatTime(job.startedAt), true],
    ['Completed', formatTime(job.completedAt), true],
    ...(job.nextRunAt && !isTerminal(job.status) ? [['Next try', formatTime(job.nextRunAt), true] as [string, string, boolean]] : []),
    ['Source', job.imageUrl ? html`<span class="mono">${job.imageUrl}</span>` : 'uploaded original', true],
    ['sha256', html`<code title="${job.sha256}">${job.sha256.slice(0, 16)}…</code>`, true],
    [
      `Storefront media (${job.storefrontMediaIds.length})`,
      job.storefrontMediaIds.length ? html`<ul class="medialist">${job.storefrontMediaIds.map((m) => html`<li>${m}</li>`)}</ul>` : '—',
      true,
    ],
  ];

  const composites = d.composites.map((img) => {
    const p = parseCompositeKey(img.key);
    return figure(img, p ? html`<b>${p.aspect}</b><span>variant ${p.variant}</span>` : html`<b>${img.key}</b>`);
  });

  const history = d.events.map(
    (e) => html`<tr>
  <td class="when">${formatTime(e.at)}</td>
  <td>${e.from ? html`${chip(e.from)}<span class="arrow">→</span>` : ''}${chip(e.to)}</td>
  <td class="num">${e.attempt}</td>
  <td class="num">${e.costUsd > 0 ? formatUsd(e.costUsd) : ''}</td>
  <td>${e.errorCode ? html`<code>${e.errorCode}</code> ` : ''}${e.message ?? ''}</td>
</tr>`,
  );

  return shell(
    ctx,
    `${job.sku} (${job.theme})`,
    html`<div class="crumbs"><a href="${ctx.base}/">Jobs</a> / ${job.sku}</div>
${flash(ctx.session)}
<div ${liveAttrs(d.live)}>
<div class="jobhead">
  <h1>${job.sku}</h1>${chip(job.status)}<span class="muted">${describeStatus(job.status)}</span>
  <div class="actions">${actions}</div>
</div>
${job.status === 'REVIEW' ? html`<div class="reviewbox"><b>Waiting for review.</b> Approve to publish the composites, or reject the cut.${rejectForm(ctx, job, d.hostedSegmenter)}</div>` : ''}
${job.errorCode ? html`<div class="errorbox"><code>${job.errorCode}</code>${job.errorMessage ?? ''}${job.failedStatus ? html` <span class="muted">(failed in ${label(job.failedStatus)})</span>` : ''}</div>` : ''}
<div class="jobgrid">
<div>
<h2>Composites <span class="muted">(${d.composites.length})</span></h2>
${d.composites.length ? html`<div class="gallery composites">${composites}</div>` : html`<p class="muted">None yet.</p>`}
<h2>Original, cutout and backgrounds</h2>
<div class="gallery sources">
  ${d.original ? figure(d.original, html`<b>Original</b><span>${d.original.key.split('.').pop()}</span>`) : placeholder('Original', 'not fetched yet')}
  ${d.mask ? figure(d.mask, html`<b>Cutout</b><span>PNG, alpha</span>`, 'checker') : placeholder('Cutout', 'not segmented yet')}
  ${d.backgrounds.map((img, i) => figure(img, html`<b>Background</b><span>variant ${i + 1}</span>`))}
</div>
</div>
<dl class="panel facts">${facts.map(([k, v, wide]) => html`<div class="${wide ? 'wide' : ''}"><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>
</div>

<h2>State history</h2>
<div class="panel"><table class="history">
  <thead><tr><th>At (UTC)</th><th>Transition</th><th class="num">Attempt</th><th class="num">Cost</th><th>Error / message</th></tr></thead>
  <tbody>${history}</tbody>
</table></div>
</div>`,
  );
}

export interface ReviewItem {
  job: Job;
  /** The cutout (PNG with alpha), shown on a checkerboard. */
  cutout: ImageRef | null;
  composites: ImageRef[];
  /** Why the service held it (its REVIEW event's message). */
  heldBecause: string | null;
}

export interface ReviewPageData {
  items: ReviewItem[];
  total: number;
  live: LiveRegion;
  hostedSegmenter: boolean;
}

/** The review queue: each held cut beside its composites, its score and reasons, approve / reject. */
export function reviewPage(ctx: PageContext, d: ReviewPageData): SafeHtml {
  const cards = d.items.map(({ job, cutout, composites, heldBecause }) => {
    const q = qualityOf(job);
    return html`<section class="panel review-item" data-job="${job.id}">
  <div class="review-head"><a class="sku" href="${ctx.base}/jobs/${job.id}">${job.sku}</a><span class="muted">${job.theme}</span>${qualityBadge(ctx, q)}</div>
  <div class="gallery">
    ${cutout ? figure(cutout, html`<b>Cutout</b><span>on a checkerboard</span>`, 'checker') : placeholder('Cutout', 'no cutout')}
    ${composites.map((img) => {
      const p = parseCompositeKey(img.key);
      return figure(img, p ? html`<b>${p.aspect}</b><span>variant ${p.variant}</span>` : html`<b>Composite</b>`);
    })}
  </div>
  <h3>Why it is held</h3>
  ${heldBecause ? html`<p class="held">${heldBecause}</p>` : ''}${qualityReasons(q)}
  <div class="review-actions">${actionButton(ctx, job, 'approve', 'Approve', 'primary', undefined, 'review')}${rejectForm(ctx, job, d.hostedSegmenter, 'review')}</div>
</section>`;
  });
  return shell(
    ctx,
    'Review',
    html`<div class="pagehead"><h1>Review <span class="muted">(${d.total})</span></h1></div>
${flash(ctx.session)}
<div ${liveAttrs(d.live)}>
${d.items.length === 0 ? html`<div class="panel empty-state">Nothing waits for review.</div>` : cards}
</div>`,
    'review',
  );
}
