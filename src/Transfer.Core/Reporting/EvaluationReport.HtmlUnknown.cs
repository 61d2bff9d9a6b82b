using System.Text;

namespace Transfer.Reporting;

/// <content>The "unknown" section: the stored rejection threshold and its trade-off curve on the held-out images.</content>
public sealed partial class EvaluationReport
{
    private void AppendUnknown(StringBuilder h)
    {
        if (Manifest?.Unknown is not { } u)
        {
            return;
        }

        h.Append(C, $"<section id=\"unknown\"><h2>Unknown</h2><p>With <code>predict --unknown</code> (<code>PredictorOptions.RejectUnknown</code>), an image whose highest class probability is below <b>{u.Threshold:F3}</b> is answered <i>unknown</i>. ");
        h.Append(C, $"The threshold was chosen on {u.HeldOutImages} held-out images ({Html.Encode(u.Source)}) to reject {u.FalseRejectionRate:P0} of the known classes' images; it rejects {u.MeasuredFalseRejectionRate:P1} of them. ");
        h.Append("The curve: the fraction of known-class images rejected at each threshold, and the accuracy on the images kept.</p>\n");
        h.Append("<table id=\"unknown-table\" class=\"num\"><thead><tr><th>threshold</th><th class=\"label\">false rejection of known classes</th><th>accuracy of the rest</th></tr></thead><tbody>\n");
        foreach (var p in u.Curve)
        {
            h.Append(C, $"<tr><td>{p.Threshold:F2}</td><td class=\"label\"><span class=\"bar\" style=\"width:{p.FalseRejectionRate * 200:F0}px\"></span>{p.FalseRejectionRate:P1}</td><td>{p.AcceptedAccuracy:P1}</td></tr>\n");
        }

        h.Append("</tbody></table></section>\n");
    }
}
