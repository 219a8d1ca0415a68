/**
 * A small XML well-formedness checker for the plot and report tests: a character-level
 * scanner for tags, quoted attributes, entity references, comments, a DOCTYPE and nesting.
 * It returns the element tree so tests can count what was drawn.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const isNameChar = (c: string) => /[A-Za-z0-9_:.-]/.test(c);

function decodeEntities(s: string, where: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '<') throw new Error(`raw "<" in text near ${where + i}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const end = s.indexOf(';', i);
    if (end < 0) throw new Error(`unterminated entity near ${where + i}`);
    const name = s.slice(i + 1, end);
    if (name.startsWith('#x')) out += String.fromCodePoint(parseInt(name.slice(2), 16));
    else if (name.startsWith('#')) out += String.fromCodePoint(parseInt(name.slice(1), 10));
    else if (ENTITIES[name] !== undefined) out += ENTITIES[name];
    else throw new Error(`unknown entity &${name}; near ${where + i}`);
    if (!/^(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+)$/.test(name)) throw new Error(`bad entity &${name};`);
    i = end;
  }
  return out;
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const readName = () => {
    const start = i;
    while (i < xml.length && isNameChar(xml[i]!)) i++;
    if (i === start) throw new Error(`expected a name at ${i}`);
    return xml.slice(start, i);
  };
  const skipSpace = () => {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    const top = stack[stack.length - 1]!;
    if (text.trim() !== '') {
      if (top === root) throw new Error(`text outside the root element at ${i}`);
      top.text += decodeEntities(text, i);
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<!DOCTYPE', i)) {
      if (root.children.length > 0) throw new Error('DOCTYPE after the root element');
      i = xml.indexOf('>', i) + 1;
      if (i === 0) throw new Error('unterminated DOCTYPE');
      continue;
    }
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) throw new Error('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (xml.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (xml[i] !== '>') throw new Error(`bad end tag </${name} at ${i}`);
      i++;
      const open = stack.pop()!;
      if (open.name !== name) throw new Error(`</${name}> closes <${open.name}> at ${i}`);
      continue;
    }
    i++;
    const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (xml.startsWith('/>', i)) {
        i += 2;
        top.children.push(el);
        break;
      }
      if (xml[i] === '>') {
        i++;
        top.children.push(el);
        stack.push(el);
        break;
      }
      const attr = readName();
      if (attr in el.attrs) throw new Error(`duplicate attribute ${attr} on <${el.name}>`);
      skipSpace();
      if (xml[i] !== '=') throw new Error(`attribute ${attr} without a value at ${i}`);
      i++;
      skipSpace();
      const q = xml[i];
      if (q !== '"' && q !== "'") throw new Error(`unquoted attribute ${attr} at ${i}`);
      const end = xml.indexOf(q, i + 1);
      if (end < 0) throw new Error('unterminated attribute value');
      el.attrs[attr] = decodeEntities(xml.slice(i + 1, end), i);
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error(`${root.children.length} root elements`);
  return root.children[0]!;
}

export function all(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}
