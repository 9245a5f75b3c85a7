/** The types of launch-bundle.mjs (plain JavaScript: it runs before anything compiles TypeScript). */

/**
 * Bundles `entry` (relative to `root`) into `outdir`, which must be this run's own: the bundle's entry, or why the
 * sources cannot run from a bundle as they do under tsx.
 */
export declare function bundleEntry(
  root: string,
  entry: string,
  outdir: string,
): Promise<{ readonly entry: string } | { readonly refused: string }>;
