using System.Text;
using Transfer.Images;

namespace Transfer.Reporting;

/// <content>The HTML sections about where the results came from: the dataset (class counts, skipped images, duplicates, train/test leakage) and the run manifest.</content>
public sealed partial class EvaluationReport
{
    private void AppendDataset(StringBuilder h)
    {
        if (Dataset is not { } d)
        {
            return;
        }

        h.Append(C, $"<section id=\"dataset\"><h2>Dataset</h2><p>{d.TrainCount} training and {d.TestCount} test images in {d.Classes.Count} classes; {d.Skipped.Count} skipped.</p>");
        h.Append("<table id=\"class-counts-table\" class=\"num\"><thead><tr><th>class</th><th>train</th><th>test</th></tr></thead><tbody>\n");
        foreach (var c in d.Classes)
        {
            h.Append(C, $"<tr><td class=\"label\">{Html.Encode(c.Name)}</td><td>{c.Train}</td><td>{c.Test}</td></tr>\n");
        }

        h.Append(C, $"</tbody><tfoot><tr><td class=\"label\">total</td><td>{d.TrainCount}</td><td>{d.TestCount}</td></tr></tfoot></table>");

        h.Append(C, $"<h3>Skipped images ({d.Skipped.Count})</h3>");
        if (d.Skipped.Count == 0)
        {
            h.Append("<p class=\"na\">None: every image was used.</p>");
        }
        else
        {
            h.Append("<table id=\"skipped-table\"><thead><tr><th>image</th><th>reason</th></tr></thead><tbody>\n");
            foreach (var s in d.Skipped)
            {
                h.Append(C, $"<tr><td class=\"file\">{Html.Encode(s.Source)}</td><td>{Html.Encode(s.Reason)}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append(C, $"<h3>Duplicates{(d.Duplicates is null ? string.Empty : string.Create(C, $" ({d.Duplicates.Count} {(d.Duplicates.Count == 1 ? "group" : "groups")})"))}</h3>");
        if (d.Duplicates is null)
        {
            h.Append("<p class=\"na\">Not checked: no duplicate audit was given.</p>");
        }
        else if (d.Duplicates.Count == 0)
        {
            h.Append("<p class=\"na\">None found: no two images have the same content.</p>");
        }
        else
        {
            h.Append("<table id=\"duplicates-table\"><thead><tr><th>content SHA-256</th><th>images</th></tr></thead><tbody>\n");
            foreach (var g in d.Duplicates)
            {
                h.Append(C, $"<tr><td class=\"hash\">{Html.Encode(Short(g.Hash.ToString()))}</td><td class=\"file\">{Sources(g.Entries)}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append(C, $"<h3>Train/test leakage{(d.Leaks is null ? string.Empty : string.Create(C, $" ({d.Leaks.Count} shared {(d.Leaks.Count == 1 ? "image" : "images")})"))}</h3>");
        if (d.Leaks is null)
        {
            h.Append("<p class=\"na\">Not checked: no leakage audit was given.</p>");
        }
        else if (d.Leaks.Count == 0)
        {
            h.Append("<p class=\"na\">None found: no test image's content is also in the training set.</p>");
        }
        else
        {
            h.Append("<p class=\"warn\">These test images are also in the training set, so the test metrics above overstate accuracy.</p><table id=\"leaks-table\"><thead><tr><th>content SHA-256</th><th>in training set</th><th>in test set</th></tr></thead><tbody>\n");
            foreach (var l in d.Leaks)
            {
                h.Append(C, $"<tr><td class=\"hash\">{Html.Encode(Short(l.Hash.ToString()))}</td><td class=\"file\">{Sources(l.Train)}</td><td class=\"file\">{Sources(l.Test)}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append("</section>\n");
    }

    private void AppendManifest(StringBuilder h)
    {
        if (Manifest is not { } r)
        {
            return;
        }

        h.Append("<section id=\"manifest\"><h2>Run manifest</h2><table id=\"manifest-table\" class=\"kv\"><tbody>\n");
        Row("backbone", r.Backbone);
        Row("backbone fingerprint", r.BackboneFingerprint, "hash");
        Row("preprocessing", r.Preprocessing ?? "unknown");
        Row("head", r.Head);
        Row("head options", r.HeadOptions);
        if (r.Estimate is { } estimate)
        {
            Row("estimate", $"{estimate.Method}: {estimate}");
        }

        if (r.TrainedOnImages is { } trainedOn)
        {
            Row("saved head trained on", string.Create(C, $"{trainedOn} images"));
        }

        Row("test-time augmentation", r.TestTimeAugmentation);
        Row("seed", r.Seed?.ToString(C) ?? "none");
        Row("dataset hash", r.DatasetHash ?? "not computed", "hash");
        Row("classes", string.Join(", ", r.Classes));
        Row("machine", r.Machine);
        Row("created", r.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", C) + " UTC");
        foreach (var t in r.TimingsSeconds)
        {
            Row("time: " + t.Key, string.Create(C, $"{t.Value:F2} s"));
        }

        h.Append("</tbody></table><h3>Package versions</h3><table id=\"packages-table\" class=\"kv\"><tbody>\n");
        foreach (var p in r.Packages)
        {
            Row(p.Key, p.Value);
        }

        h.Append(C, $"</tbody></table><details><summary>As JSON (saved beside the model as <code>&lt;model&gt;{RunManifest.FileSuffix}</code>)</summary><pre>{Html.Encode(r.ToJson())}</pre></details></section>\n");

        void Row(string key, string value, string? css = null) =>
            h.Append(C, $"<tr><th>{Html.Encode(key)}</th><td{(css is null ? string.Empty : $" class=\"{css}\"")}>{Html.Encode(value)}</td></tr>\n");
    }

    /// <summary>The images' paths (or names, for in-memory images), escaped, one per line.</summary>
    private static string Sources(IEnumerable<ImageEntry> entries) => string.Join("<br>", entries.Select(e => Html.Encode(e.Path ?? e.Name)));
}
