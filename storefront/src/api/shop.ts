// Typed calls for the api's public contract (ARCHITECTURE.md, "Public contract").
// Money is always integer minor units with an ISO currency.

// The types come from the api's route schemas (type-only imports: nothing of the api enters
// the bundle), so a change to the contract fails the storefront's typecheck instead of drifting.
import type { Account } from '../../../api/src/routes/auth/schemas.js';
import type { Cart, CartLine } from '../../../api/src/routes/cart/schemas.js';
import type { CheckoutBody, CheckoutResponse } from '../../../api/src/routes/checkout/schemas.js';
import type { OrderDetail, OrderList, OrderSummary } from '../../../api/src/routes/orders/schemas.js';
import type { Product, ProductList } from '../../../api/src/routes/products/schemas.js';
import { api, resetCsrfToken } from './client.js';

/** `name` is null after a login: the api knows the name only in the session that signed up. */
export type User = Account;
export type { Cart, CartLine, OrderDetail, OrderSummary, Product };
export type ProductPage = ProductList;
export type ShippingAddress = CheckoutBody['shippingAddress'];
export type CheckoutSession = CheckoutResponse;

export const PAGE_SIZE = 12;
/** The api's bounds for one cart line. */
export const MAX_QUANTITY = 99;

/** The api counts exactly up to this many products (api README, "Catalogue search"). */
export const TOTAL_EXACT_UP_TO = 1000;
/** A search pages this deep at most, whatever its total (the api's SEARCH_RESULTS_MAX). */
export const SEARCH_RESULTS_MAX = 400;
/** The api's bound on `offset`: deeper pages are reached by cursor only. */
export const MAX_OFFSET = 10_000;

/** One page of the catalogue: from a cursor (`after`) when there is one, else by offset. */
export async function listProducts(q: string, start: { after: string } | { offset: number }): Promise<ProductPage> {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (q) params.set('q', q);
  if ('after' in start) params.set('after', start.after);
  else if (start.offset > 0) params.set('offset', String(start.offset));
  return (await api.get(`/api/products?${params}`)) as ProductPage;
}

export async function getProduct(id: string): Promise<Product> {
  return (await api.get(`/api/products/${encodeURIComponent(id)}`)) as Product;
}

export async function getCart(): Promise<Cart> {
  return (await api.get('/api/cart')) as Cart;
}

/** Sets the line's quantity (the api sets, it does not add). */
export async function setCartItem(productId: string, quantity: number): Promise<Cart> {
  return (await api.post('/api/cart/items', { productId, quantity })) as Cart;
}

export async function removeFromCart(productId: string): Promise<Cart> {
  return (await api.delete(`/api/cart/items/${encodeURIComponent(productId)}`)) as Cart;
}

export async function getMe(): Promise<User | null> {
  try {
    return (await api.get('/api/me')) as User;
  } catch (err) {
    if ((err as { status?: number }).status === 401) return null;
    throw err;
  }
}

export async function signup(email: string, password: string, name: string): Promise<User> {
  await api.post('/api/auth/signup', { email, password, name });
  resetCsrfToken();
  return (await api.get('/api/me')) as User;
}

export async function login(email: string, password: string): Promise<User> {
  await api.post('/api/auth/login', { email, password });
  resetCsrfToken();
  return (await api.get('/api/me')) as User;
}

export async function logout(): Promise<void> {
  await api.post('/api/auth/logout');
  resetCsrfToken();
}

export async function startCheckout(shippingAddress: ShippingAddress): Promise<CheckoutSession> {
  return (await api.post('/api/checkout', { shippingAddress })) as CheckoutSession;
}

export async function listOrders(): Promise<OrderSummary[]> {
  return ((await api.get('/api/orders')) as OrderList).items;
}

export async function getOrder(id: string): Promise<OrderDetail> {
  return (await api.get(`/api/orders/${encodeURIComponent(id)}`)) as OrderDetail;
}

// Account lifecycle (issue 11). The mailed links carry a one-time token; the pages post it.

/** Follows the mailed verification link. */
export async function verifyEmail(token: string): Promise<void> {
  await api.post('/api/auth/verify-email', { token });
}

/** Asks for a new verification mail (signed in). */
export async function resendVerificationEmail(): Promise<void> {
  await api.post('/api/auth/verification-email');
}

/** The api answers the same whether or not the address has an account. */
export async function requestPasswordReset(email: string): Promise<void> {
  await api.post('/api/auth/password-reset', { email });
}

/** Sets a new password with the mailed token; every session of the account ends. */
export async function confirmPasswordReset(token: string, password: string): Promise<void> {
  await api.post('/api/auth/password-reset/confirm', { token, password });
  resetCsrfToken();
}

/** Asks for a copy of the shopper's data by mail, after the password is typed again. */
export async function requestDataExport(password: string): Promise<void> {
  await api.post('/api/me/export', { password });
}

/** Deletes the account, after the password is typed again; the session ends. */
export async function deleteAccount(password: string): Promise<void> {
  await api.post('/api/me/delete', { password });
  resetCsrfToken();
}
