using System.Diagnostics;
using Transfer.Heads.Neural;
using Xunit.Abstractions;

namespace Transfer.Core.Tests.Heads.Neural;

public class ProfileScratchTests(ITestOutputHelper output)
{
    [BenchmarkFact]
    public void Profile()
    {
        var net = new DenseNetwork([512, 256, 10]);
        net.InitializeGlorotUniform(1);
        var ws = new NetworkWorkspace(net, 256, 2);
        var r = new Random(1);
        Span<float> input = ws.Input(32);
        for (int i = 0; i < input.Length; i++) input[i] = (float)r.NextDouble();
        int[] labels = new int[32]; float[] w = new float[32];
        for (int i = 0; i < 32; i++) { labels[i] = i % 10; w[i] = 1; }
        var opt = new ParameterOptimizer(net, new NeuralHeadOptions());
        for (int rep = 0; rep < 2; rep++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 1875; i++) ws.Forward(32, labels, 0f, 0);
            output.WriteLine($"forward: {sw.Elapsed.TotalSeconds:F3}");
            sw.Restart();
            for (int i = 0; i < 1875; i++) ws.ForwardBackward(32, labels, w, 0f, 0f, 0);
            output.WriteLine($"fwd+bwd: {sw.Elapsed.TotalSeconds:F3}");
            sw.Restart();
            for (int i = 0; i < 1875; i++) ws.ForwardBackward(32, labels, w, 0f, 0.2f, (ulong)i);
            output.WriteLine($"fwd+bwd dropout: {sw.Elapsed.TotalSeconds:F3}");
            sw.Restart();
            for (int i = 0; i < 1875; i++) opt.Step(ws.Gradient, 1e-3);
            output.WriteLine($"adam: {sw.Elapsed.TotalSeconds:F3}");
        }
    }
}
