using K8sWsProxy.KubeEmulator.Errors;

namespace K8sWsProxy.KubeEmulator.Selectors;

/// <summary>Splits a selector on the commas that separate requirements, not the ones inside <c>in (a,b)</c>.</summary>
internal static class SelectorTerms
{
    public static IEnumerable<string> Split(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    if (depth < 0)
                    {
                        throw ApiException.BadRequest($"unable to parse requirement: unexpected ')' in \"{selector}\"");
                    }

                    break;
                case ',' when depth == 0:
                    yield return selector[start..i].Trim();
                    start = i + 1;
                    break;
            }
        }

        if (depth != 0)
        {
            throw ApiException.BadRequest($"unable to parse requirement: unclosed '(' in \"{selector}\"");
        }

        var last = selector[start..].Trim();
        if (last.Length > 0 || start > 0)
        {
            yield return last;
        }
    }
}
