/** BackgroundGenerator that renders the core theme recipes locally: cost 0, deterministic, JPEG out. */
import sharp from 'sharp';
import { BUILTIN_THEMES, createThemeRegistry, type BackgroundGenerator, type BackgroundRequest, type BackgroundResult, type ProviderContext, type ThemeRegistry } from 'jobkit';
import { backgroundFailed, requireInt, throwIfAborted } from '../errors.js';
import { renderBackground } from './render.js';

export interface SharpBackgroundGeneratorOptions {
  /** Themes to render. Default: a registry of the core's BUILTIN_THEMES. */
  themes?: ThemeRegistry;
  /** JPEG quality 1..100. Default 92. */
  quality?: number;
  /** Largest width / height accepted. Default 8192. */
  maxSide?: number;
}

export function createSharpBackgroundGenerator(options: SharpBackgroundGeneratorOptions = {}): BackgroundGenerator {
  const themes = options.themes ?? createThemeRegistry(BUILTIN_THEMES);
  const quality = requireInt(options.quality ?? 92, 'quality', 1, 100);
  const maxSide = requireInt(options.maxSide ?? 8192, 'maxSide', 16, 16384);
  return {
    name: 'sharp-themes',
    async generate(req: BackgroundRequest, ctx: ProviderContext): Promise<BackgroundResult> {
      const theme = themes.get(req.theme); // INVALID_INPUT listing the known themes
      const count = requireInt(req.count, 'count', 1, 99);
      const width = requireInt(req.width, 'width', 16, maxSide);
      const height = requireInt(req.height, 'height', 16, maxSide);
      const backgrounds: Buffer[] = [];
      for (let variant = 1; variant <= count; variant++) {
        throwIfAborted(ctx.signal);
        const raw = renderBackground(theme, width, height, variant);
        try {
          backgrounds.push(
            await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:4:4' }).toBuffer(),
          );
        } catch (err) {
          throw backgroundFailed(`encoding background ${variant} of theme ${theme.name} failed: ${(err as Error).message}`, err);
        }
      }
      ctx.logger.debug({ theme: theme.name, count, width, height }, 'backgrounds rendered');
      return { backgrounds, costUsd: 0 };
    },
  };
}
