import { Link } from 'react-router';
import { useTitle } from '../components/use-title.js';

export function NotFoundPage() {
  useTitle('Page not found');
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the catalogue</Link>
      </p>
    </section>
  );
}
