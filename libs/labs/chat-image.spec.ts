import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatImageError, chatImage, contextFiles, findChatDir, recipeDigest, withDigest } from './chat-image';

const REPO = path.resolve(__dirname, '..', '..');

describe('chatImage', () => {
  const temps: string[] = [];
  const tempChat = (files: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'netlabs-chat-'));
    temps.push(dir);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the repository chat/ folder from the sources and from the build output', () => {
    expect(findChatDir(__dirname)).toBe(path.join(REPO, 'chat'));
    expect(findChatDir(path.join(REPO, 'dist', 'libs', 'labs'))).toBe(path.join(REPO, 'chat'));
  });

  it('says so when there is no chat folder above', () => {
    const dir = tempChat({ 'x/y.txt': '' });
    expect(() => findChatDir(path.join(dir, 'x'))).toThrow(ChatImageError);
  });

  it('builds on the configured ubuntu, under the configured tag plus a digest of the recipe', () => {
    const sut = chatImage({ LAB_IMAGE_CHAT_TAG: 'netlabs/mypython2:1', LAB_IMAGE_UBUNTU: 'netlabs-local/ubuntu:24.04' });
    expect(sut.recipe).toEqual({ contextDir: path.join(REPO, 'chat'), buildArgs: { BASE_IMAGE: 'netlabs-local/ubuntu:24.04' } });
    expect(sut.ref).toMatch(/^netlabs\/mypython2:1-[0-9a-f]{10}$/);
    const other = chatImage({ LAB_IMAGE_CHAT_TAG: 'netlabs/mypython2:1', LAB_IMAGE_UBUNTU: 'ubuntu:24.04' });
    expect(other.ref).not.toBe(sut.ref);
  });

  it('sends and digests what docker build would, less .dockerignore', () => {
    const dir = tempChat({ Dockerfile: 'FROM x', 'client.py': 'a', '.dockerignore': '*.spec.ts\n__pycache__/\n', 'chat.spec.ts': 't', '__pycache__/c.pyc': 'p' });
    expect(contextFiles(dir)).toEqual(['.dockerignore', 'Dockerfile', 'client.py']);
    const before = recipeDigest({ contextDir: dir });
    writeFileSync(path.join(dir, 'chat.spec.ts'), 'changed test');
    expect(recipeDigest({ contextDir: dir })).toBe(before);
    writeFileSync(path.join(dir, 'client.py'), 'b');
    expect(recipeDigest({ contextDir: dir })).not.toBe(before);
  });

  it('appends the digest to a tag, or makes it the tag', () => {
    expect(withDigest('netlabs/mypython2:1', 'abc')).toBe('netlabs/mypython2:1-abc');
    expect(withDigest('mypython2', 'abc')).toBe('mypython2:abc');
  });
});
