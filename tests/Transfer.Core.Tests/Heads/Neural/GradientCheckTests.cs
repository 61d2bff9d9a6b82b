using Transfer.Heads.Neural;

namespace Transfer.Core.Tests.Heads.Neural;

public class GradientCheckTests
{
    [Theory]
    [InlineData(new int[] { 6, 4 }, 0.0, false)]
    [InlineData(new int[] { 6, 4 }, 0.1, true)]
    [InlineData(new int[] { 6, 7, 4 }, 0.0, false)]
    [InlineData(new int[] { 6, 7, 5, 4 }, 0.2, true)]
    public void ForwardBackward_AnyHead_MatchesCentralFiniteDifferences(int[] sizes, double smoothing, bool weighted)
    {
        const int rows = 5;
        var network = new DenseNetwork(sizes);
        network.InitializeGlorotUniform(seed: 3);
        var random = new Random(11);
        for (int l = 0; l < network.LayerCount; l++)
        {
            Span<float> biases = network.Biases(l);
            for (int j = 0; j < biases.Length; j++)
            {
                biases[j] = (float)(random.NextDouble() - 0.5);
            }
        }

        var workspace = new NetworkWorkspace(network, rows, maxThreads: 2);
        Span<float> input = workspace.Input(rows);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)(random.NextDouble() * 4 - 2);
        }

        int[] labels = [0, 3, 1, 2, 3];
        float[] weights = weighted ? [0.5f, 2f, 1f, 1.5f, 2f] : [1f, 1f, 1f, 1f, 1f];
        double Objective() => workspace.ForwardBackward(rows, labels, weights, (float)smoothing, 0f, 0).Objective;

        Objective();
        float[] analytic = (float[])workspace.Gradient.Clone();
        double[] numericGradient = NumericGradient(network, Objective, epsilon: 1e-3f);
        double worst = 0;
        for (int p = 0; p < network.Parameters.Length; p++)
        {
            double numeric = numericGradient[p];
            double error = Math.Abs(numeric - analytic[p]) / Math.Max(1e-3, Math.Abs(numeric) + Math.Abs(analytic[p]));
            worst = Math.Max(worst, error);
        }

        Assert.True(worst < 2e-2, $"worst relative gradient error {worst}");
    }

    [Fact]
    public void ForwardBackward_WithDropout_GradientMatchesFiniteDifferencesOfTheSameMask()
    {
        const int rows = 4;
        var network = new DenseNetwork([5, 6, 3]);
        network.InitializeGlorotUniform(seed: 5);
        var workspace = new NetworkWorkspace(network, rows, maxThreads: 1);
        var random = new Random(2);
        float[] original = new float[rows * 5];
        for (int i = 0; i < original.Length; i++)
        {
            original[i] = (float)(random.NextDouble() * 2);
        }

        int[] labels = [0, 1, 2, 1];
        float[] weights = [1f, 1f, 1f, 1f];

        // Dropout overwrites the input in place, so each pass starts from the original rows; the mask key is fixed.
        double Objective()
        {
            original.CopyTo(workspace.Input(rows));
            return workspace.ForwardBackward(rows, labels, weights, 0f, 0.3f, dropoutKey: 77).Objective;
        }

        Objective();
        float[] analytic = (float[])workspace.Gradient.Clone();
        double[] numericGradient = NumericGradient(network, Objective, epsilon: 1e-2f);
        for (int p = 0; p < network.Parameters.Length; p++)
        {
            double numeric = numericGradient[p];
            Assert.True(Math.Abs(numeric - analytic[p]) <= 2e-2 * Math.Max(1e-2, Math.Abs(numeric)), $"parameter {p}: numeric {numeric}, analytic {analytic[p]}");
        }
    }

    /// <summary>Central finite differences of <paramref name="objective"/> with respect to each parameter.</summary>
    private static double[] NumericGradient(DenseNetwork network, Func<double> objective, float epsilon)
    {
        var gradient = new double[network.Parameters.Length];
        for (int p = 0; p < gradient.Length; p++)
        {
            float saved = network.Parameters[p];
            network.Parameters[p] = saved + epsilon;
            double plus = objective();
            network.Parameters[p] = saved - epsilon;
            double minus = objective();
            network.Parameters[p] = saved;
            gradient[p] = (plus - minus) / (2 * epsilon);
        }

        return gradient;
    }
}
