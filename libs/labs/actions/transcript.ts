/**
 * What running a step prints: each Docker operation as the `docker` command a student
 * would type, followed by its output, like a terminal session.
 */
export class Transcript {
  private readonly lines: string[] = [];

  command(text: string): void {
    if (this.lines.length) this.lines.push('');
    this.lines.push(`$ ${text}`);
  }

  output(text: string, maxLines = 40): void {
    const lines = text.replace(/\s+$/, '').split('\n');
    if (lines.length === 1 && lines[0] === '') return;
    // apt-get prints hundreds of lines: the end is what tells whether it worked.
    if (lines.length > maxLines) {
      this.lines.push(`[... ${lines.length - maxLines} lines not shown ...]`);
      lines.splice(0, lines.length - maxLines);
    }
    this.lines.push(...lines);
  }

  /** A remark of ours, not the output of a command. */
  note(text: string): void {
    this.lines.push(`# ${text}`);
  }

  toString(): string {
    return this.lines.join('\n');
  }
}

/** An argument as a shell would need it quoted. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const shellLine = (args: readonly string[]) => args.map(shellQuote).join(' ');
