import { defineConfig } from 'vite';
import { storefrontConfig } from './build/storefront-config.js';

export default defineConfig(storefrontConfig());
