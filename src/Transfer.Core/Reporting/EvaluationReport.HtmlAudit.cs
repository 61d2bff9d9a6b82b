using System.Text;
using Transfer.Images;

namespace Transfer.Reporting;

/// <content>The HTML about the training labels: the label audit's suspects and near-duplicates, and each top loss's nearest training images.</content>
public sealed partial class EvaluationReport
{
    private void AppendLabelAudit(StringBuilder h)
    {
        if (Dataset is not { } d)
        {
            return;
        }

        h.Append("<section id=\"label-audit\"><h2>Label audit</h2>");
        if (d.LabelAudit is not { } a)
        {
            h.Append("<p class=\"na\">Not checked: the run did not cross-validate its training images (a pinned head with a test set). <code>transfer audit &lt;folder&gt;</code> checks the labels.</p></section>\n");
            return;
        }

        int n = Options.AuditCount;
        h.Append(C, $"<p>Each training image was scored by a head trained without it ({Html.Encode(a.Judge)}, {a.Folds}-fold cross-validation); for {Percent(a.OutOfFoldAccuracy)} its given label was the most probable. <b>{a.Suspects.Count}</b> images have a more probable other class or are label issues by confident learning (<b>{a.LabelIssues}</b>, an estimate of the wrong labels); the most suspect first (lowest probability of the given label).</p>");
        if (n > 0 && a.Suspects.Count > 0)
        {
            h.Append("<table id=\"suspects-table\"><thead><tr><th>image</th><th>given</th><th>suggested</th><th>p(given)</th><th>p(suggested)</th><th>label issue</th><th>file</th></tr></thead><tbody>\n");
            foreach (var s in a.Suspects.Take(n))
            {
                h.Append(C, $"<tr><td>{ThumbnailHtml(s.Image, SmallThumbnail)}</td><td class=\"label\">{Html.Encode(s.GivenLabel)}</td><td class=\"label\"><b>{Html.Encode(s.SuggestedLabel)}</b></td><td>{Percent(s.GivenProbability)}</td><td>{Percent(s.SuggestedProbability)}</td><td>{(s.IsLabelIssue ? "yes" : "no")}</td><td class=\"file\">{Html.Encode(s.Image.Path ?? s.Image.Name)}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append(C, $"<h3>Near-duplicates ({a.Duplicates.Count} {(a.Duplicates.Count == 1 ? "pair" : "pairs")}, {a.CrossClassDuplicates} across classes)</h3>");
        if (a.Duplicates.Count == 0)
        {
            h.Append(C, $"<p class=\"na\">None: no two training images have a cosine similarity of {a.DuplicateThreshold:0.###} or more, and no two files are identical.</p>");
        }
        else if (n > 0)
        {
            h.Append(C, $"<p>Pairs of training images with a cosine similarity of {a.DuplicateThreshold:0.###} or more (centred features), those filed under two classes first: one of the two labels is wrong, or the classes overlap.</p><table id=\"near-duplicates-table\"><thead><tr><th>image</th><th>image</th><th>similarity</th><th>classes</th><th>files</th></tr></thead><tbody>\n");
            foreach (var p in a.Duplicates.Take(n))
            {
                string classes = p.CrossClass ? $"<span class=\"warn\">{Html.Encode(p.A.Label)} ≠ {Html.Encode(p.B.Label)}</span>" : Html.Encode(p.A.Label);
                h.Append(C, $"<tr><td>{ThumbnailHtml(p.A, SmallThumbnail)}</td><td>{ThumbnailHtml(p.B, SmallThumbnail)}</td><td>{(p.Identical ? "identical file" : p.Similarity.ToString("F3", C))}</td><td class=\"label\">{classes}</td><td class=\"file\">{Sources([p.A, p.B])}</td></tr>\n");
            }

            h.Append("</tbody></table>");
        }

        h.Append("</section>\n");
    }

    /// <summary>The nearest training images of a top-loss image, as small thumbnails with their class and similarity.</summary>
    private void AppendNearestTraining(StringBuilder h, int row)
    {
        if (Dataset?.NearestTraining is not { } nearest || Options.NearestTrainingCount == 0)
        {
            return;
        }

        var matches = nearest.Find(row, Options.NearestTrainingCount);
        h.Append("<div class=\"nearest\"><div class=\"n\">nearest training images:</div>");
        foreach (var m in matches)
        {
            var image = nearest.TrainingImages[m.Index];
            h.Append(C, $"<div class=\"neighbor\" title=\"{Html.Encode(image.Path ?? image.Name)}\">{ThumbnailHtml(image, SmallThumbnail)}<div class=\"n\">{Html.Encode(image.Label)}</div><div class=\"n\">{m.Score:F2}</div></div>");
        }

        h.Append("</div>");
    }

    private int SmallThumbnail => Math.Max(16, Options.ThumbnailSize / 2);

    /// <summary>An inlined thumbnail, or a box saying why there is none.</summary>
    private static string ThumbnailHtml(ImageEntry image, int size)
    {
        var (png, error) = Thumbnail.Create(image, size);
        return png is null
            ? string.Create(C, $"<div class=\"missing\" style=\"width:{size}px;height:{size}px\">image unavailable: {Html.Encode(error)}</div>")
            : string.Create(C, $"<img class=\"thumb\" alt=\"{Html.Encode(ShortName(image.Name))}\" src=\"{DataUri(png)}\">");
    }
}
