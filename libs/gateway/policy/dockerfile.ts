/**
 * The Dockerfile of a build, read before the engine sees it: every `FROM` must name an
 * image the lab may use (a shared image, one of the lab's own, a build stage or scratch)
 * and is rewritten to its engine reference; `COPY --from=<image>` and `RUN --mount=from=`
 * naming an image are refused (they would reach any image or registry).
 * Global `ARG`s before the first FROM are expanded as the builder would.
 *
 * The builder joins continuation lines before it reads an instruction (`FR\` + `OM x` is a
 * FROM, and so is `FROM x \` + `AS y`), so the checks run on joined lines and the Dockerfile
 * the engine gets has no continuation left: what it parses is exactly what was checked.
 */
import { badRequest, forbidden } from '../refusal';

const FROM = /^(\s*FROM\s+)((?:--platform=\S+\s+)?)(\S+)((?:\s+AS\s+(\S+))?\s*)$/i;
const ARG = /^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?\s*$/i;
const FROM_FLAG = /--from=(\S+)/i;
const MOUNT_FROM = /--mount=\S*from=([^,\s]+)/i;
/** An instruction (possibly under ONBUILD) and the rest of its line. */
const INSTRUCTION = /^\s*(?:ONBUILD\s+)?([A-Za-z]+)(\s.*)?$/i;
/** A parser directive at the top of the file (`# escape=``), as the builder reads it. */
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

/**
 * The Dockerfile's lines as the builder reads them: each instruction on one line (the
 * escape character and the line break removed), comment and blank lines inside a
 * continuation dropped, as the builder drops them.
 */
export function logicalLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  for (const line of lines) {
    const d = DIRECTIVE.exec(line.trimStart());
    if (!d) break;
    if (d[1].toLowerCase() === 'escape') escape = d[2];
  }
  const continued = new RegExp(`${escape.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \t]*$`);
  const out: string[] = [];
  let current: string | null = null;
  for (const line of lines) {
    const skip = /^\s*#/.test(line) || !line.trim();
    if (current === null) {
      if (!skip && continued.test(line)) current = line.replace(continued, '');
      else out.push(line);
    } else if (!skip) {
      if (continued.test(line)) current += line.replace(continued, '');
      else {
        out.push(current + line);
        current = null;
      }
    }
  }
  if (current !== null) out.push(current);
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t;
}

function expand(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string, def: string | undefined, b: string) => {
    const name = a ?? b;
    const v = args.get(name);
    return v !== undefined && v !== '' ? v : (def ?? '');
  });
}

/**
 * @param toEngine maps an image the student names to its engine reference (throws a refusal if not allowed)
 * @param buildArgs --build-arg values, which override the global ARG defaults
 */
export function rewriteDockerfile(text: string, toEngine: (ref: string) => string, buildArgs: Record<string, string>): string {
  const lines = logicalLines(text);
  const args = new Map<string, string>();
  const stages = new Set<string>();
  let seenFrom = false;
  let stageCount = 0;
  const out = lines.map((line) => {
    if (/^\s*#/.test(line)) return line;
    const arg = ARG.exec(line);
    if (arg && !seenFrom) {
      args.set(arg[1], Object.hasOwn(buildArgs, arg[1]) ? buildArgs[arg[1]] : unquote(arg[2] ?? ''));
      return line;
    }
    const instruction = INSTRUCTION.exec(line);
    const keyword = instruction?.[1].toUpperCase();
    const from = FROM.exec(line);
    if (!from && keyword === 'FROM' && !/^\s*ONBUILD\s/i.test(line)) throw badRequest(`this FROM line cannot be read: ${line.trim()}`);
    // The legacy builder downloads ADD <url> itself, from the host: a lab would reach the host's own services.
    if (keyword === 'ADD' && /:\/\/|\$/.test(instruction?.[2] ?? '')) {
      throw forbidden('ADD from a URL or a variable is not available in a lab: COPY files from the build folder, or download them in a RUN step');
    }
    if (from) {
      seenFrom = true;
      const image = expand(from[3], args);
      if (!image) throw badRequest(`FROM has no image after expanding its arguments: ${line.trim()}`);
      const stage = from[5];
      const target = image.toLowerCase() === 'scratch' || stages.has(image.toLowerCase()) ? image : toEngine(image);
      if (stage) stages.add(stage.toLowerCase());
      stageCount++;
      return `${from[1]}${target}${from[4]}`;
    }
    for (const flag of [FROM_FLAG.exec(line), MOUNT_FROM.exec(line)]) {
      if (!flag) continue;
      const ref = flag[1].toLowerCase();
      if (!stages.has(ref) && !(/^\d+$/.test(ref) && Number(ref) < stageCount)) {
        throw forbidden(`"${flag[0]}" names an image: in a lab, --from may only name an earlier build stage`);
      }
    }
    return line;
  });
  if (!seenFrom) throw badRequest('the Dockerfile has no FROM instruction');
  return out.join('\n');
}
