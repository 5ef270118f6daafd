/** "812 KB", "3.4 MB": a file's size as the summaries print it. Its own module so that `generate`'s summary
 * does not load the report writer. */
export function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
