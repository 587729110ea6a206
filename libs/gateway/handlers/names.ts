/** A name for a container the student did not name, Docker style ("eager_turing"). */
import { randomInt } from 'node:crypto';

const LEFT = ['admiring', 'brave', 'clever', 'eager', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'lucid', 'nifty', 'quirky', 'serene', 'vibrant', 'zealous'];
const RIGHT = ['babbage', 'curie', 'dijkstra', 'euler', 'hopper', 'kare', 'lamarr', 'lovelace', 'noether', 'pascal', 'ritchie', 'shannon', 'turing', 'wozniak'];

export function generatedName(): string {
  return `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}${randomInt(100)}`;
}
