const LABELS: Record<string, string> = {
  pending_payment: 'Awaiting payment',
  paid: 'Paid',
  payment_failed: 'Payment failed',
  ready_to_ship: 'Preparing for shipping',
  shipped: 'Shipped',
  refunded: 'Refunded',
  cancelled: 'Cancelled',
};

export function orderStatusLabel(status: string): string {
  return LABELS[status] ?? status;
}
