// The HTTP client for `/v1` (CONTRACT §1, §3): bearer token from sessionStorage, JSON in and
// out, problem+json errors turned into ApiError. Every answer is read by json.js's `parseJson`,
// so an integer beyond 2^53 − 1 (a national funding sum) arrives as an exact BigInt.

import { parseJson } from './json.js';
import { language } from './i18n.js';

const TOKEN_KEY = 'acta.token';

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  /** status 0 means the server could not be reached. */
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** The problem's `errors` list (`[{field, message}]`), empty when it has none. */
  get errors() {
    return Array.isArray(this.problem?.errors) ? this.problem.errors : [];
  }
}

let onUnauthorized = () => {};

/** Called on any 401 after sign-in, so the page can drop a token that stopped working. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/**
 * The headers of every request: the token, and the page's language, so that the server's
 * messages (errors, findings, warnings) and documents (the dated statement) come in it.
 */
function requestHeaders(tokenValue) {
  return {
    Authorization: `Bearer ${tokenValue ?? token.get() ?? ''}`,
    'Accept-Language': language(),
  };
}

/**
 * Sends one request. `query` values that are null, undefined or '' are left out. `body` is a
 * string of JSON (the caller serialises, see forms.js on numbers sent exactly as typed).
 * Resolves to `{status, body}` (integers outside the safe range as BigInt); rejects with ApiError.
 */
export async function request(path, { query = {}, method = 'GET', body, tokenValue } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  const headers = requestHeaders(tokenValue);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? parseJson(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    if (response.status === 401 && tokenValue === undefined) onUnauthorized();
    throw new ApiError(response.status, json);
  }
  return { status: response.status, body: json };
}

export const get = async (path, query) => (await request(path, { query })).body;

/**
 * A GET with the signed-in token of something that is not JSON (`extra` adds parameters):
 * resolves to the response once it is ok; rejects with ApiError.
 */
async function fetchOk(path, query, extra = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
  let response;
  try {
    response = await fetch(url, { headers: requestHeaders() });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = parseJson(await response.text());
    } catch {
      problem = null;
    }
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, problem);
  }
  return response;
}

/**
 * Downloads `path` as its CSV table (`format=csv`, CONTRACT §3 tables) with the signed-in
 * token, saved under the file name the server gives. A link to the URL would not carry the
 * token, so the table is fetched and handed to the browser as a blob. Resolves to the file name;
 * rejects with ApiError.
 */
export async function download(path, query = {}) {
  const response = await fetchOk(path, query, { format: 'csv' });
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'acta.csv';
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has read the blob once the click is handled; a minute is ample.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return name;
}

/** GET of a document that is not JSON (the statement's HTML): resolves to its text; rejects with ApiError. */
export async function getText(path, query = {}) {
  return (await fetchOk(path, query)).text();
}
