/**
 * The demonstration catalogue: 50 base products, each sold in 4 variants (200 products).
 * Written out by hand so search results look like a real shop's and so the data is the
 * same on every machine (tests and the benchmark depend on that).
 */
export interface BaseProduct {
  /** Stable SKU stem; the variant code is appended to make each product's SKU. */
  sku: string;
  name: string;
  description: string;
  /** EUR, minor units (cents), for the first variant. */
  priceMinor: number;
  /** Label shown in the description, e.g. "Colour". */
  variantLabel: string;
  /** [variant name, SKU code, price difference in minor units]. */
  variants: readonly (readonly [string, string, number])[];
}

const COLOURS_NEUTRAL = [
  ['Charcoal', 'CHA', 0],
  ['Navy', 'NAV', 0],
  ['Oatmeal', 'OAT', 0],
  ['Forest Green', 'FGR', 0],
] as const;

const SIZES_APPAREL = [
  ['Small', 'S', 0],
  ['Medium', 'M', 0],
  ['Large', 'L', 0],
  ['Extra Large', 'XL', 200],
] as const;

const PACK_SIZES = [
  ['250 g', '250', 0],
  ['500 g', '500', 750],
  ['1 kg', '1K', 1900],
  ['2 kg', '2K', 3500],
] as const;

const FINISHES = [
  ['Matte Black', 'BLK', 0],
  ['Brushed Steel', 'STL', 500],
  ['Walnut', 'WAL', 1500],
  ['Oak', 'OAK', 1200],
] as const;

export const BASE_PRODUCTS: readonly BaseProduct[] = [
  // Apparel
  {
    sku: 'APP-MERINO-CREW',
    name: 'Merino Wool Crew Sweater',
    description:
      'Fine-gauge extra-fine merino knit with ribbed cuffs and hem. Warm without bulk, breathable and naturally odour resistant.',
    priceMinor: 8900,
    variantLabel: 'Colour',
    variants: COLOURS_NEUTRAL,
  },
  {
    sku: 'APP-OXFORD-SHIRT',
    name: 'Organic Cotton Oxford Shirt',
    description:
      'Button-down collar oxford shirt woven from organic cotton. Garment washed for a soft hand and a relaxed fit.',
    priceMinor: 5900,
    variantLabel: 'Size',
    variants: SIZES_APPAREL,
  },
  {
    sku: 'APP-RAIN-JACKET',
    name: 'Packable Rain Jacket',
    description:
      'Waterproof, windproof shell with taped seams and an adjustable hood. Packs into its own chest pocket for travel.',
    priceMinor: 11900,
    variantLabel: 'Size',
    variants: SIZES_APPAREL,
  },
  {
    sku: 'APP-SELVEDGE-JEANS',
    name: 'Selvedge Denim Jeans',
    description:
      'Straight-leg jeans in 13.5 oz Japanese selvedge denim. Unwashed raw indigo that fades to your own pattern.',
    priceMinor: 13900,
    variantLabel: 'Size',
    variants: SIZES_APPAREL,
  },
  {
    sku: 'APP-LINEN-TEE',
    name: 'Linen Blend T-Shirt',
    description:
      'Lightweight linen and cotton jersey tee with a slightly dropped shoulder. Cool and airy in summer heat.',
    priceMinor: 3400,
    variantLabel: 'Colour',
    variants: COLOURS_NEUTRAL,
  },
  {
    sku: 'APP-WOOL-BEANIE',
    name: 'Ribbed Wool Beanie',
    description: 'Double-layer ribbed beanie knitted from lambswool. Fold-up cuff, one size fits most.',
    priceMinor: 2900,
    variantLabel: 'Colour',
    variants: COLOURS_NEUTRAL,
  },
  {
    sku: 'APP-HIKING-SOCKS',
    name: 'Cushioned Hiking Socks (3 pairs)',
    description:
      'Merino-rich crew socks with a cushioned sole, arch support and a seamless toe. Three pairs for long trail days.',
    priceMinor: 2400,
    variantLabel: 'Size',
    variants: SIZES_APPAREL,
  },
  {
    sku: 'APP-DOWN-VEST',
    name: 'Recycled Down Vest',
    description:
      'Light insulated vest filled with certified recycled down. Zip hand pockets and a stand collar for layering.',
    priceMinor: 12900,
    variantLabel: 'Size',
    variants: SIZES_APPAREL,
  },
  // Kitchen
  {
    sku: 'KIT-CHEF-KNIFE',
    name: 'Chef Knife 20 cm',
    description:
      'Forged high-carbon stainless steel chef knife, full tang, hand-sharpened to a 15 degree edge. The one knife for everyday cooking.',
    priceMinor: 7900,
    variantLabel: 'Handle',
    variants: FINISHES,
  },
  {
    sku: 'KIT-CAST-SKILLET',
    name: 'Cast Iron Skillet',
    description:
      'Pre-seasoned cast iron pan that goes from hob to oven to campfire. Holds heat for a deep sear on steaks and vegetables.',
    priceMinor: 3900,
    variantLabel: 'Diameter',
    variants: [
      ['20 cm', '20', 0],
      ['25 cm', '25', 900],
      ['30 cm', '30', 1800],
      ['35 cm', '35', 2900],
    ],
  },
  {
    sku: 'KIT-DUTCH-OVEN',
    name: 'Enamelled Dutch Oven',
    description: 'Heavy enamelled cast iron casserole with a tight-fitting lid for braises, stews and no-knead bread.',
    priceMinor: 14900,
    variantLabel: 'Colour',
    variants: [
      ['Cherry Red', 'RED', 0],
      ['Ocean Blue', 'BLU', 0],
      ['Sage', 'SAG', 0],
      ['Cream', 'CRM', 0],
    ],
  },
  {
    sku: 'KIT-POUR-OVER',
    name: 'Ceramic Pour-Over Coffee Dripper',
    description: 'Spiral-ribbed porcelain dripper for an even extraction. Brews one or two cups of filter coffee.',
    priceMinor: 2600,
    variantLabel: 'Glaze',
    variants: [
      ['White', 'WHT', 0],
      ['Black', 'BLK', 0],
      ['Speckled Sand', 'SND', 300],
      ['Celadon', 'CEL', 300],
    ],
  },
  {
    sku: 'KIT-BURR-GRINDER',
    name: 'Conical Burr Coffee Grinder',
    description:
      'Electric grinder with stainless conical burrs and 40 grind settings, from espresso fine to cold brew coarse.',
    priceMinor: 18900,
    variantLabel: 'Finish',
    variants: FINISHES,
  },
  {
    sku: 'KIT-CUTTING-BOARD',
    name: 'End-Grain Cutting Board',
    description:
      'End-grain hardwood board that is kind to knife edges. Juice groove on one side, finished with food-safe oil.',
    priceMinor: 6900,
    variantLabel: 'Wood',
    variants: [
      ['Walnut', 'WAL', 1000],
      ['Maple', 'MAP', 0],
      ['Cherry', 'CHE', 600],
      ['Acacia', 'ACA', 0],
    ],
  },
  {
    sku: 'KIT-SPICE-SET',
    name: 'Whole Spice Starter Set',
    description:
      'Twelve whole spices in resealable tins: cumin, coriander, black pepper, cardamom, cloves, fennel and more.',
    priceMinor: 3900,
    variantLabel: 'Edition',
    variants: [
      ['Classic', 'CLA', 0],
      ['Indian Kitchen', 'IND', 400],
      ['Middle Eastern', 'MEA', 400],
      ['Baking', 'BAK', 200],
    ],
  },
  {
    sku: 'KIT-OLIVE-OIL',
    name: 'Extra Virgin Olive Oil',
    description:
      'Cold-pressed single-estate olive oil from Koroneiki olives. Peppery and green, for dressing and finishing.',
    priceMinor: 1490,
    variantLabel: 'Bottle',
    variants: [
      ['500 ml', '05L', 0],
      ['750 ml', '075', 550],
      ['1 l tin', '1L', 1010],
      ['3 l tin', '3L', 3510],
    ],
  },
  {
    sku: 'KIT-KETTLE',
    name: 'Gooseneck Pour-Over Kettle',
    description:
      'Temperature-controlled electric kettle with a precise gooseneck spout and a hold-warm mode for tea and coffee.',
    priceMinor: 8900,
    variantLabel: 'Finish',
    variants: FINISHES,
  },
  // Pantry
  {
    sku: 'PAN-ESPRESSO-BEANS',
    name: 'Espresso Roast Coffee Beans',
    description:
      'Medium-dark roast blend of Brazilian and Ethiopian beans with notes of dark chocolate, hazelnut and cherry.',
    priceMinor: 1290,
    variantLabel: 'Bag',
    variants: PACK_SIZES,
  },
  {
    sku: 'PAN-FILTER-BEANS',
    name: 'Single Origin Filter Coffee',
    description: 'Light roast washed Kenyan coffee, bright and juicy with blackcurrant and grapefruit notes.',
    priceMinor: 1490,
    variantLabel: 'Bag',
    variants: PACK_SIZES,
  },
  {
    sku: 'PAN-GREEN-TEA',
    name: 'Japanese Sencha Green Tea',
    description: 'First-flush loose leaf sencha from Shizuoka. Grassy, sweet and umami-rich; brew at 70 degrees.',
    priceMinor: 1190,
    variantLabel: 'Pack',
    variants: PACK_SIZES,
  },
  {
    sku: 'PAN-DARK-CHOC',
    name: 'Dark Chocolate 72% Bars',
    description: 'Bean-to-bar dark chocolate made from Ecuadorian cacao and cane sugar. Nothing else added.',
    priceMinor: 990,
    variantLabel: 'Pack',
    variants: [
      ['3 bars', '3', 0],
      ['6 bars', '6', 890],
      ['12 bars', '12', 2490],
      ['24 bars', '24', 5490],
    ],
  },
  {
    sku: 'PAN-HONEY',
    name: 'Raw Wildflower Honey',
    description: 'Unfiltered, unpasteurised honey from small apiaries in the Alps. Crystallises naturally over time.',
    priceMinor: 890,
    variantLabel: 'Jar',
    variants: PACK_SIZES,
  },
  {
    sku: 'PAN-PASTA',
    name: 'Bronze-Cut Durum Wheat Pasta',
    description: 'Slow-dried artisan pasta extruded through bronze dies for a rough surface that holds sauce.',
    priceMinor: 390,
    variantLabel: 'Shape',
    variants: [
      ['Spaghetti', 'SPA', 0],
      ['Rigatoni', 'RIG', 0],
      ['Orecchiette', 'ORE', 50],
      ['Pappardelle', 'PAP', 90],
    ],
  },
  // Home
  {
    sku: 'HOM-LINEN-SHEETS',
    name: 'Stonewashed Linen Sheet Set',
    description:
      'Flat sheet, fitted sheet and two pillowcases in European flax linen, stonewashed for softness from the first night.',
    priceMinor: 17900,
    variantLabel: 'Bed size',
    variants: [
      ['Single', 'SGL', 0],
      ['Double', 'DBL', 3000],
      ['King', 'KNG', 5000],
      ['Super King', 'SKG', 7000],
    ],
  },
  {
    sku: 'HOM-WOOL-THROW',
    name: 'Herringbone Wool Throw',
    description: 'Woven lambswool blanket in a classic herringbone with fringed ends. 130 by 180 cm.',
    priceMinor: 9900,
    variantLabel: 'Colour',
    variants: COLOURS_NEUTRAL,
  },
  {
    sku: 'HOM-SOY-CANDLE',
    name: 'Hand-Poured Soy Candle',
    description: 'Soy wax candle with a cotton wick in a reusable amber glass jar. Around 45 hours of burn time.',
    priceMinor: 2400,
    variantLabel: 'Scent',
    variants: [
      ['Cedar and Vetiver', 'CED', 0],
      ['Fig Leaf', 'FIG', 0],
      ['Sea Salt and Sage', 'SEA', 0],
      ['Unscented', 'UNS', -200],
    ],
  },
  {
    sku: 'HOM-DESK-LAMP',
    name: 'Adjustable LED Desk Lamp',
    description:
      'Balanced-arm desk lamp with a dimmable warm-white LED, touch control and a weighted base. No flicker at any level.',
    priceMinor: 11900,
    variantLabel: 'Finish',
    variants: FINISHES,
  },
  {
    sku: 'HOM-PLANTER',
    name: 'Terracotta Planter with Saucer',
    description: 'Unglazed terracotta pot that lets roots breathe, with a matching saucer and a drainage hole.',
    priceMinor: 1900,
    variantLabel: 'Diameter',
    variants: [
      ['12 cm', '12', 0],
      ['18 cm', '18', 700],
      ['24 cm', '24', 1500],
      ['32 cm', '32', 2900],
    ],
  },
  {
    sku: 'HOM-BATH-TOWEL',
    name: 'Turkish Cotton Bath Towel',
    description: 'Long-staple Turkish cotton towel, 600 g/m2, thick and absorbent yet quick to dry.',
    priceMinor: 3200,
    variantLabel: 'Colour',
    variants: [
      ['White', 'WHT', 0],
      ['Stone', 'STN', 0],
      ['Slate Blue', 'SLB', 0],
      ['Clay', 'CLY', 0],
    ],
  },
  {
    sku: 'HOM-WALL-CLOCK',
    name: 'Silent Sweep Wall Clock',
    description: 'Minimal wall clock with a silent sweep movement, so no ticking at night. 30 cm face.',
    priceMinor: 4900,
    variantLabel: 'Finish',
    variants: FINISHES,
  },
  // Office
  {
    sku: 'OFF-NOTEBOOK',
    name: 'Dot Grid Notebook A5',
    description:
      'Lay-flat thread-bound notebook with 192 numbered pages of 100 g/m2 fountain-pen-friendly paper and an index.',
    priceMinor: 1890,
    variantLabel: 'Cover',
    variants: [
      ['Black', 'BLK', 0],
      ['Navy', 'NAV', 0],
      ['Terracotta', 'TER', 0],
      ['Olive', 'OLV', 0],
    ],
  },
  {
    sku: 'OFF-FOUNTAIN-PEN',
    name: 'Steel Nib Fountain Pen',
    description: 'Aluminium-bodied fountain pen with a smooth steel nib and a converter for bottled ink.',
    priceMinor: 3900,
    variantLabel: 'Nib',
    variants: [
      ['Extra Fine', 'EF', 0],
      ['Fine', 'F', 0],
      ['Medium', 'M', 0],
      ['Broad', 'B', 0],
    ],
  },
  {
    sku: 'OFF-DESK-MAT',
    name: 'Felt and Leather Desk Mat',
    description:
      'Wool felt desk pad with a vegetable-tanned leather edge. Quiet, warm to the touch and mouse friendly.',
    priceMinor: 5900,
    variantLabel: 'Size',
    variants: [
      ['60 x 30 cm', '60', 0],
      ['80 x 40 cm', '80', 1000],
      ['100 x 50 cm', '100', 2000],
      ['120 x 60 cm', '120', 3000],
    ],
  },
  {
    sku: 'OFF-MONITOR-STAND',
    name: 'Solid Wood Monitor Stand',
    description: 'Raises a screen to eye level and keeps a keyboard tucked underneath. Holds up to 30 kg.',
    priceMinor: 7900,
    variantLabel: 'Wood',
    variants: FINISHES,
  },
  {
    sku: 'OFF-MECH-KEYBOARD',
    name: 'Wireless Mechanical Keyboard',
    description:
      'Compact 75 percent layout with hot-swappable switches, Bluetooth and USB-C, and a battery that lasts weeks.',
    priceMinor: 12900,
    variantLabel: 'Switches',
    variants: [
      ['Linear Red', 'RED', 0],
      ['Tactile Brown', 'BRN', 0],
      ['Clicky Blue', 'BLU', 0],
      ['Silent Linear', 'SIL', 1000],
    ],
  },
  {
    sku: 'OFF-BACKPACK',
    name: 'Waxed Canvas Laptop Backpack',
    description:
      'Water-resistant waxed canvas backpack with a padded 16 inch laptop sleeve, leather straps and brass hardware.',
    priceMinor: 14900,
    variantLabel: 'Colour',
    variants: [
      ['Field Tan', 'TAN', 0],
      ['Olive', 'OLV', 0],
      ['Black', 'BLK', 0],
      ['Navy', 'NAV', 0],
    ],
  },
  // Audio and electronics
  {
    sku: 'AUD-HEADPHONES',
    name: 'Noise Cancelling Over-Ear Headphones',
    description:
      'Wireless headphones with adaptive noise cancelling, 40 hour battery life and soft protein-leather ear cushions.',
    priceMinor: 24900,
    variantLabel: 'Colour',
    variants: [
      ['Black', 'BLK', 0],
      ['Silver', 'SLV', 0],
      ['Midnight Blue', 'MBL', 0],
      ['Sand', 'SND', 0],
    ],
  },
  {
    sku: 'AUD-SPEAKER',
    name: 'Portable Bluetooth Speaker',
    description: 'Rugged, waterproof speaker with a full stereo sound, 20 hour battery and a built-in lanyard.',
    priceMinor: 8900,
    variantLabel: 'Colour',
    variants: [
      ['Black', 'BLK', 0],
      ['Coral', 'COR', 0],
      ['Teal', 'TEA', 0],
      ['Grey', 'GRY', 0],
    ],
  },
  {
    sku: 'AUD-TURNTABLE',
    name: 'Belt-Drive Turntable',
    description:
      'Two-speed turntable with a built-in switchable phono preamp, aluminium platter and a pre-mounted cartridge.',
    priceMinor: 29900,
    variantLabel: 'Plinth',
    variants: FINISHES,
  },
  {
    sku: 'ELE-POWER-BANK',
    name: 'USB-C Power Bank',
    description: 'Slim power bank with 65 W USB-C power delivery, enough to charge a laptop on the go.',
    priceMinor: 4900,
    variantLabel: 'Capacity',
    variants: [
      ['10,000 mAh', '10K', 0],
      ['20,000 mAh', '20K', 2000],
      ['25,000 mAh', '25K', 3000],
      ['30,000 mAh', '30K', 4000],
    ],
  },
  {
    sku: 'ELE-CHARGER',
    name: 'GaN Wall Charger',
    description:
      'Compact gallium nitride charger with USB-C and USB-A ports that charges a phone and a laptop together.',
    priceMinor: 3900,
    variantLabel: 'Power',
    variants: [
      ['30 W', '30', 0],
      ['65 W', '65', 1500],
      ['100 W', '100', 3000],
      ['140 W', '140', 5000],
    ],
  },
  {
    sku: 'ELE-E-READER',
    name: 'Glare-Free E-Reader',
    description: 'Six inch paper-like display with an adjustable warm light, weeks of battery and waterproofing.',
    priceMinor: 13900,
    variantLabel: 'Storage',
    variants: [
      ['8 GB', '8', 0],
      ['16 GB', '16', 2000],
      ['32 GB', '32', 4000],
      ['64 GB', '64', 7000],
    ],
  },
  // Outdoor and sport
  {
    sku: 'OUT-WATER-BOTTLE',
    name: 'Insulated Steel Water Bottle',
    description:
      'Double-wall vacuum insulated bottle that keeps drinks cold for 24 hours or hot for 12. Leak-proof lid.',
    priceMinor: 2900,
    variantLabel: 'Volume',
    variants: [
      ['500 ml', '05', 0],
      ['750 ml', '075', 400],
      ['1 l', '1', 800],
      ['1.5 l', '15', 1200],
    ],
  },
  {
    sku: 'OUT-TENT',
    name: 'Ultralight Backpacking Tent',
    description:
      'Freestanding double-wall tent with aluminium poles, two doors and two vestibules. Sets up in minutes.',
    priceMinor: 32900,
    variantLabel: 'Capacity',
    variants: [
      ['1 person', '1P', 0],
      ['2 person', '2P', 5000],
      ['3 person', '3P', 9000],
      ['4 person', '4P', 14000],
    ],
  },
  {
    sku: 'OUT-SLEEPING-BAG',
    name: 'Down Sleeping Bag',
    description: 'Mummy-shaped sleeping bag filled with responsibly sourced 700 fill power down, for three seasons.',
    priceMinor: 24900,
    variantLabel: 'Length',
    variants: [
      ['Regular', 'REG', 0],
      ['Long', 'LNG', 2000],
      ['Regular Left Zip', 'RLZ', 0],
      ['Long Left Zip', 'LLZ', 2000],
    ],
  },
  {
    sku: 'OUT-HEADLAMP',
    name: 'Rechargeable Headlamp',
    description: 'Bright 400 lumen headlamp with a red night mode, lockout switch and USB-C charging.',
    priceMinor: 3900,
    variantLabel: 'Colour',
    variants: [
      ['Black', 'BLK', 0],
      ['Orange', 'ORG', 0],
      ['Blue', 'BLU', 0],
      ['Green', 'GRN', 0],
    ],
  },
  {
    sku: 'OUT-TREKKING-POLES',
    name: 'Carbon Trekking Poles (pair)',
    description: 'Three-section carbon fibre poles with cork grips and quick flick locks. Fold down for packing.',
    priceMinor: 11900,
    variantLabel: 'Length',
    variants: [
      ['100-120 cm', '120', 0],
      ['110-130 cm', '130', 0],
      ['115-135 cm', '135', 500],
      ['120-140 cm', '140', 500],
    ],
  },
  {
    sku: 'SPO-YOGA-MAT',
    name: 'Natural Rubber Yoga Mat',
    description: 'Grippy natural rubber mat with a polyurethane top layer, 4 mm thick, with alignment lines.',
    priceMinor: 7900,
    variantLabel: 'Colour',
    variants: [
      ['Sage', 'SAG', 0],
      ['Charcoal', 'CHA', 0],
      ['Dusty Rose', 'ROS', 0],
      ['Ocean', 'OCE', 0],
    ],
  },
  {
    sku: 'SPO-KETTLEBELL',
    name: 'Cast Iron Kettlebell',
    description: 'Single-piece cast iron kettlebell with a flat base and a smooth powder-coated handle.',
    priceMinor: 2900,
    variantLabel: 'Weight',
    variants: [
      ['8 kg', '8', 0],
      ['12 kg', '12', 1000],
      ['16 kg', '16', 2000],
      ['24 kg', '24', 3500],
    ],
  },
  {
    sku: 'SPO-RUNNING-SHOE',
    name: 'Cushioned Road Running Shoe',
    description: 'Neutral daily trainer with a responsive foam midsole, breathable knit upper and a durable outsole.',
    priceMinor: 13900,
    variantLabel: 'EU size',
    variants: [
      ['40', '40', 0],
      ['42', '42', 0],
      ['44', '44', 0],
      ['46', '46', 0],
    ],
  },
];
