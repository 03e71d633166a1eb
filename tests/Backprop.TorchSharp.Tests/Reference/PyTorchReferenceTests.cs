using Backprop.Cli.Runs;
using Backprop.Data;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Tests.Reference;

/// <summary>
/// Ours against PyTorch running the course's code (<c>lesson04_fit.py</c>) from the same seed. The random draws (initial
/// weights, each epoch's shuffle) must be PyTorch's bit for bit; the arithmetic after them runs on two builds of libtorch
/// with different BLAS kernels, so trained values agree to float32 rounding, amplified by the steps taken. Each comparison
/// runs both sides on the same ATen kernels: the in-process ones on this process's (PyTorch inherits a forced
/// ATEN_CPU_CAPABILITY; the default kernels even draw the initial weights' last bits otherwise than AVX2's), the five
/// epochs on the pinned AVX2 kernels where the CPU has them.
/// </summary>
[Collection(MnistGroup.Name)]
[Trait("Category", "Process")]
public sealed class PyTorchReferenceTests(PyTorchRun pytorch, MnistFixture data) : IClassFixture<PyTorchRun>
{
    [PyTorchFact]
    public void The_initial_weights_are_PyTorch_s_bit_for_bit()
    {
        manual_seed(PyTorchRun.Seed);
        var (model, opt) = Models.GetModel();
        using (model)
        using (opt)
            AssertParams(pytorch.Init, model, eps: 0);
    }

    [PyTorchFact]
    public void Every_epoch_shuffles_the_training_set_in_PyTorch_s_order()
    {
        using var scope = NewDisposeScope();
        var (train, valid) = (IndexDataset(data.Mnist.XTrain.shape[0]), IndexDataset(data.Mnist.XValid.shape[0]));
        manual_seed(PyTorchRun.Seed);
        var (model, opt) = Models.GetModel(); // draws the weights first, as the run does
        using (model)
        using (opt)
        using (var dls = DataLoaders.GetDls(train, valid, bs: 50))
        {
            for (var epoch = 0; epoch < PyTorchRun.Epochs; epoch++)
            {
                var order = dls.Train.SelectMany(b => b.yb.data<long>().ToArray()).ToArray();
                foreach (var _ in dls.Valid) { } // the validation loader draws its own seed every epoch, as PyTorch's does
                Assert.True(pytorch.Orders[epoch].SequenceEqual(order), $"epoch {epoch + 1}: the orders part at position {FirstDifference(pytorch.Orders[epoch], order)}");
            }
        }
    }

    [PyTorchFact]
    public void After_100_steps_the_weights_equal_PyTorch_s()
    {
        manual_seed(PyTorchRun.Seed);
        var (model, opt) = Models.GetModel();
        using (model)
        using (opt)
        using (var dls = DataLoaders.GetDls(data.TrainDs, data.ValidDs, bs: 50))
        {
            var step = new AutogradStep(model, LossFunc.CrossEntropy, opt);
            foreach (var (xb, yb) in dls.Train.Take(PyTorchRun.Steps))
            {
                using var scope = NewDisposeScope();
                step.Step(xb, yb);
            }
            AssertParams(pytorch.AfterSteps, model, eps: 1e-6);
        }
    }

    [PyTorchFact]
    public void Backprop_train_s_defaults_give_PyTorch_s_numbers_epoch_by_epoch()
    {
        using var dir = new TempDir();
        // The runner as a user starts it, on the pinned AVX2 kernels where the CPU has them (this test process runs whatever
        // the environment forces), against PyTorch on ATen's AVX2 kernels too (PyTorchRun.Metrics).
        string[] kernels = PinnedKernels.Impossible is null ? ["--cpu-kernels", "avx2"] : [];
        var (code, _, stderr) = ChildProcess.Run("dotnet", [Repo.RunnerDll, "train", "--device", "cpu", "--out", dir.Path, .. kernels], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, stderr);
        var ours = File.ReadAllLines(dir.File("metrics.jsonl")).Select(MetricsLog.Parse).ToList();

        // With seed 1 the two stay within float32 rounding for all 5,000 steps (other seeds part sooner: at lr 0.5 a
        // difference in the last bit can grow into another trajectory), so the accuracies agree to the image. Only the
        // kernels are the same: the two libtorch builds (2.10 with MKL, Debian's 1.13 with its generic BLAS) are not.
        var report = $"ours: {string.Join("; ", ours)}\nPyTorch: {string.Join("; ", pytorch.Metrics)}";
        Assert.Equal(Enumerable.Range(1, PyTorchRun.Epochs), pytorch.Metrics.Select(r => r.Epoch));
        Assert.Equal(pytorch.Metrics.Select(r => r.Epoch), ours.Select(r => r.Epoch));
        foreach (var (p, o) in pytorch.Metrics.Zip(ours))
        {
            Assert.True(Math.Abs(p.TrainLoss - o.TrainLoss) < 1e-4, report);
            Assert.True(Math.Abs(p.ValidLoss - o.ValidLoss) < 1e-4, report);
            Assert.True(Math.Abs(p.ValidAccuracy - o.ValidAccuracy) < 0.5e-4, report);
        }
    }

    /// <summary>A dataset whose labels are the items' indices, so a batch's yb says which items it holds.</summary>
    private static Dataset IndexDataset(long n) => new(zeros(n, 1), arange(n, dtype: ScalarType.Int64));

    private static void AssertParams(IReadOnlyDictionary<string, float[]> expected, nn.Module model, double eps)
    {
        using var scope = NewDisposeScope();
        var ours = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().flatten());
        Assert.Equal(expected.Keys.Order(), ours.Keys.Order());
        foreach (var (name, values) in expected)
        {
            var diff = TensorAssert.MaxAbsDiff(tensor(values), ours[name]);
            Assert.True(diff <= eps, $"{name}: max |PyTorch - ours| = {diff:G4} > {eps:G4}");
        }
    }

    private static int FirstDifference(long[] a, long[] b) =>
        a.Zip(b).Select((p, i) => (p, i)).FirstOrDefault(x => x.p.First != x.p.Second, (default, Math.Min(a.Length, b.Length))).Item2;
}
