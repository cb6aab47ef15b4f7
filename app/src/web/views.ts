import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';

/** Where templates and stylesheets live: next to the compiled code in dist/, or in src/. */
export const VIEWS_DIR = path.join(__dirname, '..', 'views');
export const PUBLIC_DIR = path.join(__dirname, '..', 'public');

/**
 * Every template compiled once at start. Pages render into `layouts/main`; `{{ }}` escapes,
 * and nothing in the templates uses the unescaped `{{{ }}}` except the layout's `body` and
 * the note list's `rows` (escaped by notes/note-rows.ts). The templates are ASCII (`&middot;`,
 * `&mdash;`, `&darr;` rather than the characters): one character outside Latin-1 would make
 * V8 hold every page as a two-byte string, twice the memory and slower to encode.
 */
export class Views {
  private readonly handlebars = Handlebars.create();
  private readonly pages = new Map<string, Handlebars.TemplateDelegate>();
  private readonly layout: Handlebars.TemplateDelegate;

  constructor(dir: string = VIEWS_DIR) {
    for (const file of listTemplates(path.join(dir, 'partials'))) {
      const name = path.basename(file, '.hbs');
      this.handlebars.registerPartial(name, this.handlebars.compile(fs.readFileSync(file, 'utf8')));
    }
    const pagesDir = path.join(dir, 'pages');
    for (const file of listTemplates(pagesDir)) {
      const name = path
        .relative(pagesDir, file)
        .replace(/\.hbs$/, '')
        .split(path.sep)
        .join('/');
      this.pages.set(name, this.handlebars.compile(fs.readFileSync(file, 'utf8')));
    }
    this.layout = this.handlebars.compile(
      fs.readFileSync(path.join(dir, 'layouts', 'main.hbs'), 'utf8'),
    );
    this.handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  }

  render(page: string, model: object): string {
    const template = this.pages.get(page);
    if (!template) throw new Error(`no template named ${page}`);
    const body = template(model);
    return this.layout({ ...model, body });
  }
}

function listTemplates(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.hbs'))
    .map((name) => path.join(dir, name))
    .sort();
}
