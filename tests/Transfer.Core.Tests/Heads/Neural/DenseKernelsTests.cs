using Transfer.Heads.Neural;

namespace Transfer.Core.Tests.Heads.Neural;

public class DenseKernelsTests
{
    [Theory]
    [InlineData(7, 133, 10)]
    [InlineData(32, 512, 256)]
    [InlineData(5, 6, 3)]
    [InlineData(9, 70, 5)]
    public void Kernels_AnyShape_MatchNaiveProducts(int rows, int inputs, int outputs)
    {
        var random = new Random(rows + inputs + outputs);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] x = Fill(rows * inputs), w = Fill(outputs * inputs), bias = Fill(outputs), delta = Fill(rows * outputs);

        var z = new float[rows * outputs];
        DenseKernels.Forward(x, w, bias, z, inputs, outputs, 0, 4);
        DenseKernels.Forward(x, w, bias, z, inputs, outputs, 4, rows);
        var gw = new float[outputs * inputs];
        var gb = new float[outputs];
        DenseKernels.WeightGradient(delta, x, gw, gb, rows, inputs, outputs, 0, Math.Min(4, outputs));
        DenseKernels.WeightGradient(delta, x, gw, gb, rows, inputs, outputs, Math.Min(4, outputs), outputs);

        for (int b = 0; b < rows; b++)
        {
            for (int j = 0; j < outputs; j++)
            {
                double expected = bias[j];
                for (int k = 0; k < inputs; k++)
                {
                    expected += (double)x[(b * inputs) + k] * w[(j * inputs) + k];
                }

                Assert.Equal(expected, z[(b * outputs) + j], 1e-3);
            }
        }

        for (int j = 0; j < outputs; j++)
        {
            double expectedBias = 0;
            for (int b = 0; b < rows; b++)
            {
                expectedBias += delta[(b * outputs) + j];
            }

            Assert.Equal(expectedBias, gb[j], 1e-4);
            for (int k = 0; k < inputs; k++)
            {
                double expected = 0;
                for (int b = 0; b < rows; b++)
                {
                    expected += (double)delta[(b * outputs) + j] * x[(b * inputs) + k];
                }

                Assert.Equal(expected, gw[(j * inputs) + k], 1e-4);
            }
        }
    }
}
