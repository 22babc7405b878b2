import { Layout, type PageContext } from "./layout";

/** The queue card list lives in ./queue.tsx; re-exported for the pages that list alerts too. */
export { QueueList } from "./queue";

export function LoginPage(props: { ctx: PageContext; error?: string; username?: string }) {
  const { t } = props.ctx.i18n;
  return (
    <Layout ctx={props.ctx} title={t.login}>
      <div class="card">
        <h2>{t.login}</h2>
        {props.error && (
          <p class="flash error" role="alert">
            {props.error}
          </p>
        )}
        <form class="stack" method="post" action="/console/login">
          <label>
            {t.username}
            <input name="username" autocomplete="username" required value={props.username ?? ""} />
          </label>
          <label>
            {t.password}
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button class="primary" type="submit">
            {t.login}
          </button>
        </form>
      </div>
    </Layout>
  );
}

export function PasswordPage(props: { ctx: PageContext; required: boolean; error?: string }) {
  const { t } = props.ctx.i18n;
  return (
    <Layout ctx={props.ctx} title={t.changePassword}>
      <div class="card">
        <h2>{t.changePassword}</h2>
        {props.required && <p>{t.changePasswordRequired}</p>}
        {props.error && (
          <p class="flash error" role="alert">
            {props.error}
          </p>
        )}
        <form class="stack" method="post" action="/console/password">
          <input type="hidden" name="_csrf" value={props.ctx.csrf ?? ""} />
          <label>
            {t.currentPassword}
            <input name="currentPassword" type="password" autocomplete="current-password" required />
          </label>
          <label>
            {t.newPassword}
            <input name="newPassword" type="password" autocomplete="new-password" required minlength={12} />
          </label>
          <button class="primary" type="submit">
            {t.changePassword}
          </button>
        </form>
      </div>
    </Layout>
  );
}

export function MessagePage(props: { ctx: PageContext; title: string; text: string; status?: number }) {
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <div class="card">
        <h2>{props.title}</h2>
        <p>{props.text}</p>
        <p>
          <a href="/console">{props.ctx.i18n.t.back}</a>
        </p>
      </div>
    </Layout>
  );
}
