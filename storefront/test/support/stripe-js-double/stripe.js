// Test double of Stripe.js (served in tests as https://js.stripe.com/...): the subset the
// storefront and @stripe/react-stripe-js call. Like the real one, it renders card fields in an
// iframe of another origin (https://js.stripe.com) and talks to it only by postMessage, so the
// shop's page can never read what the shopper types there.
(() => {
  const FRAME_ORIGIN = 'https://js.stripe.com';
  const API = 'https://api.stripe.com/v1';

  function intentId(clientSecret) {
    return String(clientSecret).split('_secret_')[0];
  }

  function emitter() {
    const handlers = new Map();
    return {
      on(event, cb) {
        if (!handlers.has(event)) handlers.set(event, new Set());
        handlers.get(event).add(cb);
      },
      off(event, cb) {
        handlers.get(event)?.delete(cb);
      },
      emit(event, payload) {
        for (const cb of handlers.get(event) ?? []) cb(payload);
      },
    };
  }

  function createStripe(publishableKey) {
    if (typeof publishableKey !== 'string' || !publishableKey.startsWith('pk_')) {
      throw new Error('Invalid publishable key');
    }
    let mountedFrame = null;
    const pending = new Map();
    let nextRequest = 1;

    window.addEventListener('message', (event) => {
      if (event.origin !== FRAME_ORIGIN || !mountedFrame || event.source !== mountedFrame.contentWindow) return;
      const data = event.data || {};
      if (data.type === 'stripe-double:ready') mountedFrame.__events.emit('ready', { elementType: 'payment' });
      if (data.type === 'stripe-double:change') mountedFrame.__events.emit('change', data.payload);
      if (data.type === 'stripe-double:result' && pending.has(data.requestId)) {
        pending.get(data.requestId)(data);
        pending.delete(data.requestId);
      }
    });

    function elements(options) {
      const clientSecret = options?.clientSecret;
      const created = [];
      return {
        create(type, elementOptions) {
          if (type !== 'payment') throw new Error(`the Stripe.js double only renders the Payment Element, not ${type}`);
          const events = emitter();
          let frame = null;
          const element = {
            mount(target) {
              const host = typeof target === 'string' ? document.querySelector(target) : target;
              frame = document.createElement('iframe');
              frame.__events = events;
              const params = new URLSearchParams({ pk: publishableKey, parent: window.location.origin });
              if (clientSecret) params.set('client_secret', clientSecret);
              frame.src = `${FRAME_ORIGIN}/elements-frame.html#${params}`;
              frame.title = 'Secure payment input frame';
              frame.name = '__privateStripeFrameDouble';
              frame.setAttribute('allow', 'payment *');
              frame.style.width = '100%';
              frame.style.height = '170px';
              frame.style.border = '0';
              host.appendChild(frame);
              mountedFrame = frame;
            },
            on: events.on,
            off: events.off,
            update() {},
            focus() {},
            blur() {},
            clear() {},
            unmount() {
              frame?.remove();
            },
            destroy() {
              frame?.remove();
              if (mountedFrame === frame) mountedFrame = null;
            },
            __options: elementOptions,
          };
          created.push(element);
          return element;
        },
        getElement(type) {
          return created.find(() => type === 'payment') ?? null;
        },
        update() {},
        async submit() {
          return {};
        },
        fetchUpdates() {
          return Promise.resolve({});
        },
        __clientSecret: clientSecret,
      };
    }

    function askFrame(message) {
      return new Promise((resolve) => {
        if (!mountedFrame?.contentWindow) {
          resolve({ error: { type: 'validation_error', message: 'The payment form is not ready.' } });
          return;
        }
        const requestId = nextRequest++;
        pending.set(requestId, resolve);
        mountedFrame.contentWindow.postMessage({ ...message, requestId }, FRAME_ORIGIN);
      });
    }

    async function confirmPayment({ elements: els, confirmParams, redirect }) {
      const clientSecret = els?.__clientSecret;
      if (!clientSecret) return { error: { type: 'invalid_request_error', message: 'Missing client secret' } };
      const result = await askFrame({ type: 'stripe-double:confirm', clientSecret });
      if (result.error) return { error: result.error };
      const pi = result.paymentIntent;
      if (redirect === 'if_required') return { paymentIntent: pi };
      const back = new URL(confirmParams.return_url);
      back.searchParams.set('payment_intent', pi.id);
      back.searchParams.set('payment_intent_client_secret', clientSecret);
      back.searchParams.set('redirect_status', pi.status === 'succeeded' ? 'succeeded' : 'failed');
      window.location.assign(back.toString());
      return new Promise(() => {});
    }

    async function retrievePaymentIntent(clientSecret) {
      const url = `${API}/payment_intents/${encodeURIComponent(intentId(clientSecret))}?${new URLSearchParams({
        client_secret: clientSecret,
        key: publishableKey,
      })}`;
      const res = await fetch(url, { credentials: 'omit' });
      const body = await res.json();
      return res.ok ? { paymentIntent: body } : { error: body.error };
    }

    const unsupported = () => Promise.reject(new Error('not implemented by the Stripe.js double'));
    return {
      elements,
      confirmPayment,
      retrievePaymentIntent,
      // Present so @stripe/react-stripe-js recognises a Stripe object; the shop never calls them.
      createToken: unsupported,
      createPaymentMethod: unsupported,
      confirmCardPayment: unsupported,
      registerAppInfo() {},
      _registerWrapper() {},
    };
  }
  createStripe.version = 'endive';
  window.Stripe = createStripe;
})();
