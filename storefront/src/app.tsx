import { BrowserRouter, Route, Routes } from 'react-router';
import { Layout } from './components/layout.js';
import { RequireLogin } from './components/require-login.js';
import { SessionProvider } from './components/session.js';
import { AccountPage } from './pages/account.js';
import { AccountDeletedPage } from './pages/account-deleted.js';
import { CartPage } from './pages/cart.js';
import { CataloguePage } from './pages/catalogue.js';
import { CheckoutPage } from './pages/checkout.js';
import { ConfirmationPage } from './pages/confirmation.js';
import { ForgotPasswordPage } from './pages/forgot-password.js';
import { LoginPage } from './pages/login.js';
import { NotFoundPage } from './pages/not-found.js';
import { OrderPage } from './pages/order.js';
import { ProductPage } from './pages/product.js';
import { ResetPasswordPage } from './pages/reset-password.js';
import { SignupPage } from './pages/signup.js';
import { VerifyEmailPage } from './pages/verify-email.js';

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<CataloguePage />} />
            <Route path="products/:id" element={<ProductPage />} />
            <Route path="cart" element={<CartPage />} />
            <Route path="signup" element={<SignupPage />} />
            <Route path="login" element={<LoginPage />} />
            <Route path="verify-email" element={<VerifyEmailPage />} />
            <Route path="forgot-password" element={<ForgotPasswordPage />} />
            <Route path="reset-password" element={<ResetPasswordPage />} />
            <Route path="account-deleted" element={<AccountDeletedPage />} />
            <Route
              path="account"
              element={
                <RequireLogin>
                  <AccountPage />
                </RequireLogin>
              }
            />
            <Route
              path="account/orders/:id"
              element={
                <RequireLogin>
                  <OrderPage />
                </RequireLogin>
              }
            />
            <Route
              path="checkout"
              element={
                <RequireLogin>
                  <CheckoutPage />
                </RequireLogin>
              }
            />
            <Route
              path="checkout/complete"
              element={
                <RequireLogin>
                  <ConfirmationPage />
                </RequireLogin>
              }
            />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  );
}
