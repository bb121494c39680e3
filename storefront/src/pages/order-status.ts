const LABELS: Record<string, string> = {
  pending_payment: 'Awaiting payment',
  paid: 'Paid',
  payment_failed: 'Payment failed',
  ready_to_ship: 'Preparing for shipping',
  shipped: 'Shipped',
  refunded: 'Refunded',
  cancelled: 'Cancelled',
  payment_review: 'Payment under review',
};

export function orderStatusLabel(status: string): string {
  return LABELS[status] ?? status;
}

/** What the confirmation page tells the shopper about an order, from its status in the api. */
export interface OrderOutcome {
  title: string;
  text: string;
  /** Shown as a success; anything else is not (yet) a received payment. */
  ok: boolean;
  /** The shopper can try paying again. */
  retry: boolean;
}

const RECEIVED: OrderOutcome = {
  title: 'Thank you, your payment was received',
  text: 'We are preparing your order.',
  ok: true,
  retry: false,
};

const OUTCOMES: Record<string, OrderOutcome> = {
  paid: RECEIVED,
  ready_to_ship: RECEIVED,
  shipped: { ...RECEIVED, text: 'Your order is on its way.' },
  pending_payment: {
    title: 'Your payment is not confirmed yet',
    text: 'We have not received the payment for this order yet. Your order page shows the latest state.',
    ok: false,
    retry: true,
  },
  payment_failed: {
    title: 'The payment did not go through',
    text: 'No money was taken. Please try again with another payment method.',
    ok: false,
    retry: true,
  },
  payment_review: {
    title: 'Your payment is being reviewed',
    text: 'The payment needs a check by our team before we prepare your order. We will contact you.',
    ok: false,
    retry: false,
  },
  refunded: { title: 'This order was refunded', text: 'The payment was returned.', ok: false, retry: false },
  cancelled: { title: 'This order was cancelled', text: 'Your order page shows the details.', ok: false, retry: true },
};

export function orderOutcome(status: string): OrderOutcome {
  return (
    OUTCOMES[status] ?? {
      title: 'Order confirmation',
      text: 'Your order page shows the latest state.',
      ok: false,
      retry: false,
    }
  );
}

/** Only a pending order can still become paid while the shopper waits on this page. */
export function awaitingPayment(status: string): boolean {
  return status === 'pending_payment';
}
