/** A one-line progress bar on a TTY; on a pipe, a line every 10% so logs stay readable. */
export function createProgressBar(total: number, out: NodeJS.WriteStream = process.stderr) {
  const width = 30;
  let lastDecile = -1;
  const started = Date.now();
  return {
    update(done: number, failed: number): void {
      const frac = total === 0 ? 1 : done / total;
      const secs = (Date.now() - started) / 1000;
      const rate = secs > 0 ? Math.round(done / secs) : 0;
      const text = `${done}/${total} done, ${failed} failed, ${rate}/s`;
      if (out.isTTY) {
        const filled = Math.round(frac * width);
        out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
      } else {
        const decile = Math.floor(frac * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          out.write(`progress ${Math.round(frac * 100)}%: ${text}\n`);
        }
      }
    },
    end(): void {
      if (out.isTTY) out.write('\n');
    },
  };
}
