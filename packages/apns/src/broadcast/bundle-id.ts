/**
 * The `.push-type.*` suffix a bundle id wrongly carries ('' for a bare one): the `/1/` and `/4/` paths take the
 * bare bundle id, and APNs answers TopicDisallowed otherwise [Apple ER]. Only that suffix family is refused: a
 * bundle id may well end in `.voip`.
 */
export function topicSuffixOf(bundleId: string): string {
  const at = bundleId.indexOf('.push-type.');
  return at < 0 ? '' : bundleId.slice(at);
}
