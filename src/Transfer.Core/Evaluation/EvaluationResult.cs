using System.Globalization;
using System.Text;

namespace Transfer.Evaluation;

/// <summary>Multiclass metrics of a head on a test set (ML.NET's figures plus per-class figures and the confusion matrix).</summary>
public sealed class EvaluationResult
{
    internal EvaluationResult(IReadOnlyList<string> classes, double micro, double macro, double logLoss, double logLossReduction, int topK, double topKAccuracy, IReadOnlyList<ClassMetrics> perClass, int[,] confusion, float[] probabilities, int[] labels)
    {
        Classes = classes;
        MicroAccuracy = micro;
        MacroAccuracy = macro;
        LogLoss = logLoss;
        LogLossReduction = logLossReduction;
        TopK = topK;
        TopKAccuracy = topKAccuracy;
        PerClass = perClass;
        ConfusionMatrix = confusion;
        Probabilities = probabilities;
        Labels = labels;
    }

    /// <summary>Gets the class names (rows and columns of <see cref="ConfusionMatrix"/>).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the fraction of test images classified correctly.</summary>
    public double MicroAccuracy { get; }

    /// <summary>Gets the mean over classes of each class's accuracy (recall).</summary>
    public double MacroAccuracy { get; }

    /// <summary>Gets the mean cross-entropy of the true class.</summary>
    public double LogLoss { get; }

    /// <summary>Gets the log-loss improvement over predicting the class priors.</summary>
    public double LogLossReduction { get; }

    /// <summary>Gets the k of <see cref="TopKAccuracy"/>.</summary>
    public int TopK { get; }

    /// <summary>Gets the fraction of test images whose class is among the k most probable.</summary>
    public double TopKAccuracy { get; }

    /// <summary>Gets per-class precision, recall, F1 and support, in class order.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>Gets the confusion matrix: <c>[true class, predicted class]</c> → count.</summary>
    public int[,] ConfusionMatrix { get; }

    /// <summary>Gets the number of test images.</summary>
    public int Count => Labels.Count;

    /// <summary>Gets the predicted probabilities, row-major, test images × classes.</summary>
    public IReadOnlyList<float> Probabilities { get; }

    /// <summary>Gets the true class index of each test image.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Formats the metrics, the per-class table and the confusion matrix as fixed-width text.</summary>
    /// <returns>The table.</returns>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Test images: {Count}");
        sb.AppendLine(c, $"Micro-accuracy: {MicroAccuracy:F4}   Macro-accuracy: {MacroAccuracy:F4}   Log-loss: {LogLoss:F4}   Log-loss reduction: {LogLossReduction:F4}   Top-{TopK} accuracy: {TopKAccuracy:F4}");
        sb.AppendLine();
        int width = Math.Max(5, Classes.Max(n => n.Length));
        sb.AppendLine(c, $"{"class".PadRight(width)}  precision  recall      F1  support");
        foreach (var m in PerClass)
        {
            sb.AppendLine(c, $"{m.Name.PadRight(width)}  {m.Precision,9:F4}  {m.Recall,6:F4}  {m.F1,6:F4}  {m.Support,7}");
        }

        sb.AppendLine();
        sb.AppendLine("Confusion matrix (rows: true class, columns: predicted, in the order above):");
        int cell = Math.Max(4, ConfusionMatrix.Cast<int>().DefaultIfEmpty(0).Max().ToString(c).Length + 1);
        for (int i = 0; i < Classes.Count; i++)
        {
            sb.Append(Classes[i].PadRight(width));
            for (int j = 0; j < Classes.Count; j++)
            {
                sb.Append(ConfusionMatrix[i, j].ToString(c).PadLeft(cell));
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToTable();
}
