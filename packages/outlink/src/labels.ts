/** The Lift Wing name of the model this package implements. */
export const OUTLINK_MODEL_NAME = 'outlink-topic-model';

/** The model's `Host` header on Lift Wing's WMF-internal endpoint (`{isvc}.{namespace}...`). */
export const OUTLINK_INTERNAL_HOST = 'outlink-topic-model.articletopic-outlink.wikimedia.org';

/**
 * The 64 topic labels of the outlink model (the ORES/WikiProject topic taxonomy), as Lift Wing
 * reports them: fastText's `__label__` prefix removed.
 */
export const TOPIC_LABELS = [
  'Culture.Biography.Biography*',
  'Culture.Biography.Women',
  'Culture.Food_and_drink',
  'Culture.Internet_culture',
  'Culture.Linguistics',
  'Culture.Literature',
  'Culture.Media.Books',
  'Culture.Media.Entertainment',
  'Culture.Media.Films',
  'Culture.Media.Media*',
  'Culture.Media.Music',
  'Culture.Media.Radio',
  'Culture.Media.Software',
  'Culture.Media.Television',
  'Culture.Media.Video_games',
  'Culture.Performing_arts',
  'Culture.Philosophy_and_religion',
  'Culture.Sports',
  'Culture.Visual_arts.Architecture',
  'Culture.Visual_arts.Comics_and_Anime',
  'Culture.Visual_arts.Fashion',
  'Culture.Visual_arts.Visual_arts*',
  'Geography.Geographical',
  'Geography.Regions.Africa.Africa*',
  'Geography.Regions.Africa.Central_Africa',
  'Geography.Regions.Africa.Eastern_Africa',
  'Geography.Regions.Africa.Northern_Africa',
  'Geography.Regions.Africa.Southern_Africa',
  'Geography.Regions.Africa.Western_Africa',
  'Geography.Regions.Americas.Central_America',
  'Geography.Regions.Americas.North_America',
  'Geography.Regions.Americas.South_America',
  'Geography.Regions.Asia.Asia*',
  'Geography.Regions.Asia.Central_Asia',
  'Geography.Regions.Asia.East_Asia',
  'Geography.Regions.Asia.North_Asia',
  'Geography.Regions.Asia.South_Asia',
  'Geography.Regions.Asia.Southeast_Asia',
  'Geography.Regions.Asia.West_Asia',
  'Geography.Regions.Europe.Eastern_Europe',
  'Geography.Regions.Europe.Europe*',
  'Geography.Regions.Europe.Northern_Europe',
  'Geography.Regions.Europe.Southern_Europe',
  'Geography.Regions.Europe.Western_Europe',
  'Geography.Regions.Oceania',
  'History_and_Society.Business_and_economics',
  'History_and_Society.Education',
  'History_and_Society.History',
  'History_and_Society.Military_and_warfare',
  'History_and_Society.Politics_and_government',
  'History_and_Society.Society',
  'History_and_Society.Transportation',
  'STEM.Biology',
  'STEM.Chemistry',
  'STEM.Computing',
  'STEM.Earth_and_environment',
  'STEM.Engineering',
  'STEM.Libraries_&_Information',
  'STEM.Mathematics',
  'STEM.Medicine_&_Health',
  'STEM.Physics',
  'STEM.STEM*',
  'STEM.Space',
  'STEM.Technology',
] as const;

/** One of the 64 outlink topics. */
export type TopicLabel = (typeof TOPIC_LABELS)[number];
