// The card fields of the Stripe.js double. This document's origin is https://js.stripe.com;
// it sends the card details to the Stripe API (https://api.stripe.com, the API double in
// tests) itself and tells the shop's page only the outcome.
(() => {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const publishableKey = params.get('pk') || '';
  const parentOrigin = params.get('parent') || '';
  const message = document.getElementById('message');

  function post(data) {
    window.parent.postMessage(data, parentOrigin);
  }

  async function confirm(clientSecret) {
    const number = document.getElementById('cardnumber').value.replace(/\D/g, '');
    const exp = document.getElementById('exp-date').value.replace(/\D/g, '');
    const cvc = document.getElementById('cvc').value.replace(/\D/g, '');
    const id = clientSecret.split('_secret_')[0];
    const body = new URLSearchParams({
      client_secret: clientSecret,
      key: publishableKey,
      'payment_method_data[type]': 'card',
      'payment_method_data[card][number]': number,
      'payment_method_data[card][exp_month]': exp.slice(0, 2),
      'payment_method_data[card][exp_year]': exp.slice(2),
      'payment_method_data[card][cvc]': cvc,
    });
    const res = await fetch(`https://api.stripe.com/v1/payment_intents/${encodeURIComponent(id)}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const answer = await res.json();
    if (!res.ok) {
      message.textContent = answer.error?.message ?? 'The payment failed.';
      return { error: answer.error };
    }
    message.textContent = '';
    return { paymentIntent: answer };
  }

  window.addEventListener('message', async (event) => {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    const data = event.data || {};
    if (data.type !== 'stripe-double:confirm') return;
    let result;
    try {
      result = await confirm(data.clientSecret);
    } catch {
      result = { error: { type: 'api_connection_error', message: 'Stripe could not be reached.' } };
    }
    post({ type: 'stripe-double:result', requestId: data.requestId, ...result });
  });

  document.getElementById('card').addEventListener('input', () => {
    const complete = document.getElementById('cardnumber').value.replace(/\D/g, '').length >= 12;
    post({ type: 'stripe-double:change', payload: { elementType: 'payment', complete, empty: !complete } });
  });
  post({ type: 'stripe-double:ready' });
})();
