// @ts-check
/**
 * Who is using the page: asks `GET /api/me` before anything else, shows the
 * login form when the server wants a credential (401), the user's name, role
 * and unit with a 退出 button once logged in, and a badge in open local mode
 * (a store with no users). Controls the role may not use are disabled from
 * the `actions` /api/me lists (the server refuses them anyway, with 403).
 * A 401 later (session expired or revoked) brings the login form back.
 *
 * The pieces every page shares are built here, not written in each page:
 * the login form (in the page's `#login` box) and, on all but the wall
 * screen, the header's status line, user line and language switch.
 */
import { onUnauthorized } from './api.js';
import { byId, h, inputEl } from './util.js';
import { languageSwitch, tr } from './core/i18n.js';

/** @typedef {import('./types').Me} Me */

/** What each gated action is called on the page (the reason a control is disabled). */
const ACTION_NAMES = /** @type {Record<string, string>} */ ({
  analyse: tr('运行分析', 'run analyses'), report: tr('上报事件', 'report incidents'), bulk_report: tr('批量导入事件', 'load incidents in bulk'),
  transition: tr('办理案件', 'take case steps'), edit_cameras: tr('编辑摄像头', 'edit cameras'), sensors: tr('接入传感器', 'connect sensors'),
  sql: tr('运行 SQL 查询', 'run SQL queries'), admin: tr('管理用户', 'administer users'),
  plan: tr('编辑规划方案', 'edit planning scenarios'), publish: tr('发布或回滚单元图层', 'publish or roll back the units layer'),
});

/**
 * Who the caller is, or null when the server wants a login (401).
 * Any other failure is thrown (the page cannot start without it).
 * @returns {Promise<Me | null>}
 */
export async function whoAmI() {
  const r = await fetch('/api/me');
  if (r.status === 401) return null;
  if (!r.ok) throw new Error(`/api/me: ${r.status}`);
  return r.json();
}

/** The message shown in the form for a failed login. @param {Response} r */
async function loginFailure(r) {
  if (r.status === 401) return tr('用户名或密码错误', 'Wrong user name or password');
  if (r.status === 429) return tr('尝试次数过多，请稍后再试', 'Too many attempts; try again later');
  try {
    const v = await r.json();
    if (v && typeof v.message === 'string') return v.message;
  } catch { /* not JSON */ }
  return tr(`登录失败（${r.status}）`, `Login failed (${r.status})`);
}

/**
 * The header's shared pieces: after its title (`h1`), the generated-data badge
 * (`#generated-badge`, hidden until the page knows, when `badge`), the status
 * line (`#status`) and the user line (`#user`, filled by `showUser`); at its
 * end the language switch. Whatever else the page's header holds stays between.
 * @param {{ badge?: boolean }} [opts]
 */
export function pageHeader({ badge = false } = {}) {
  const header = /** @type {HTMLElement} */ (document.querySelector('body > header'));
  const title = /** @type {HTMLElement} */ (header.querySelector('h1'));
  const pieces = [];
  if (badge) {
    const b = h('span', { className: 'badge', text: tr('生成数据', 'generated data'),
      title: tr('标有“生成数据”的图层由 wangge gen 按固定种子生成，并非真实数据', 'Layers marked generated are made by wangge gen from a fixed seed: not real data') });
    b.id = 'generated-badge';
    b.hidden = true;
    pieces.push(b);
  }
  const status = h('span', { text: tr('加载中…', 'Loading…') });
  status.id = 'status';
  status.setAttribute('role', 'status');
  const user = h('span');
  user.id = 'user';
  user.hidden = true;
  pieces.push(status, user);
  title.after(...pieces);
  header.append(languageSwitch());
}

/**
 * The login form in the page's `#login` box, built on its first use; what the
 * box already holds (the page's note on who logs in there) goes under the button.
 * @returns {HTMLFormElement}
 */
function loginForm() {
  const built = document.getElementById('login-form');
  if (built) return /** @type {HTMLFormElement} */ (built);
  const box = byId('login');
  /** @param {string} id @param {string} name @param {string} label @param {string} autocomplete */
  const field = (id, name, label, autocomplete) => {
    const input = h('input');
    input.id = id;
    input.name = name;
    if (name === 'password') input.type = 'password';
    input.setAttribute('autocomplete', autocomplete);
    input.required = true;
    return h('label', {}, h('span', { text: label }), ' ', input);
  };
  const error = h('p', { className: 'warn' });
  error.id = 'login-error';
  error.setAttribute('role', 'alert');
  const submit = h('button', { text: tr('登录', 'Log in') });
  submit.id = 'login-submit';
  submit.type = 'submit';
  const form = h('form', {}, h('h2', { text: tr('登录', 'Log in') }),
    field('login-name', 'username', tr('用户名', 'User name'), 'username'),
    field('login-password', 'password', tr('密码', 'Password'), 'current-password'),
    error, submit, ...box.children);
  form.id = 'login-form';
  form.setAttribute('autocomplete', 'on');
  box.append(form);
  return form;
}

/**
 * Shows the login form over the page; resolves with the user once the
 * server accepted a name and password (the session cookie is then set).
 * @returns {Promise<Me>}
 */
export function askLogin() {
  const form = loginForm();
  const box = byId('login');
  const error = byId('login-error');
  const submit = /** @type {HTMLButtonElement} */ (byId('login-submit'));
  box.hidden = false;
  error.textContent = '';
  inputEl('login-password').value = '';
  inputEl('login-name').focus();
  return new Promise((resolve) => {
    /** @param {SubmitEvent} e */
    const onSubmit = async (e) => {
      e.preventDefault();
      submit.disabled = true;
      error.textContent = '';
      try {
        const r = await fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: inputEl('login-name').value.trim(), password: inputEl('login-password').value }) });
        if (r.status === 409) { location.reload(); return; } // the store has no users (any more): open local mode
        if (!r.ok) { error.textContent = await loginFailure(r); inputEl('login-password').select(); return; }
        /** @type {{ user: Me }} */
        const v = await r.json();
        form.removeEventListener('submit', onSubmit);
        box.hidden = true;
        resolve(v.user);
      } catch (err) {
        error.textContent = `${tr('登录失败：', 'Login failed: ')}${err instanceof Error ? err.message : String(err)}`;
      } finally {
        submit.disabled = false;
      }
    };
    form.addEventListener('submit', onSubmit);
  });
}

/**
 * The header's user line: "name · role · unit" and 退出, or the open-mode badge.
 * @param {Me} me
 */
export function showUser(me) {
  const el = byId('user');
  el.hidden = false;
  if (me.open) {
    el.replaceChildren(h('span', { className: 'badge open-badge', text: tr('本机开放模式（未设用户）', 'Open local mode (no users)'),
      title: tr('库中没有用户：本机访问者都是管理员，服务只监听本机地址。添加用户（wangge users add）后需要登录。',
        'The store has no users: everyone on this machine is an administrator, and the server listens on loopback only. Once a user is added (wangge users add), a login is needed.') }));
    el.dataset.open = 'true';
    return;
  }
  const who = [me.name, tr(me.role_label, me.role), me.unit_name || (me.unit ? me.unit : tr('全区', 'whole district'))].join(' · ');
  const out = h('button', { text: tr('退出', 'Log out'), className: 'logout' });
  out.type = 'button';
  out.id = 'logout';
  out.addEventListener('click', () => {
    // the body is read before the reload: fetch resolves on the headers, and a reload then would abort the rest
    fetch('/api/logout', { method: 'POST' }).then((r) => r.text()).catch(() => '').finally(() => location.reload());
  });
  el.replaceChildren(h('span', { text: who, className: 'who' }), out);
  el.dataset.open = 'false';
  el.dataset.role = me.role;
}

/**
 * Disables every control marked `data-action="…"` whose action the user may
 * not take, saying why (the server enforces it anyway).
 * @param {Me} me
 */
export function applyActions(me) {
  const may = new Set(me.actions);
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-action]'))) {
    const action = el.dataset.action || '';
    const allowed = may.has(action);
    if ('disabled' in el) /** @type {HTMLFieldSetElement | HTMLButtonElement} */ (el).disabled = !allowed;
    el.classList.toggle('not-allowed', !allowed);
    el.title = allowed ? '' : tr(`${me.role_label}无权${ACTION_NAMES[action] || action}`, `${me.role} may not ${ACTION_NAMES[action] || action}`);
  }
}

/**
 * After the page started: a 401 from the API or a tile (the session expired
 * or was revoked) shows the login form; once logged in again the page
 * reloads (the new user may see another jurisdiction). Answers what shows
 * the login again, for other signs of an ended session.
 * @param {import('maplibre-gl').Map} [map]
 * @returns {() => void}
 */
export function watchSession(map) {
  let asking = false;
  const expired = () => {
    if (asking) return;
    asking = true;
    askLogin().then(() => location.reload());
  };
  onUnauthorized(expired);
  // a listener replaces MapLibre's own console.error: keep it for every other error
  map?.on('error', (e) => {
    const status = /** @type {{ status?: number }} */ (e.error ?? {}).status;
    if (status === 401) expired();
    else console.error(e.error instanceof Error ? e.error.message : e.error);
  });
  return expired;
}
