using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

/// <summary>
/// Lesson 03's set-up on the shared MNIST (<see cref="MnistFixture.Lesson03"/>): <c>torch.manual_seed(42)</c>,
/// <c>w1 = randn(784, 50)</c>, <c>b1 = zeros(50)</c>, <c>w2 = randn(50, 1)</c>, <c>b2 = zeros(1)</c>, <c>y_train.float()</c>,
/// and autograd's gradients of the MSE model on all 50,000 training images (the lesson's <c>mkgrad</c> check).
/// </summary>
public sealed class Lesson03Setup : IDisposable
{
    /// <summary>Computes the set-up in a dispose scope of its own and with torch's random state put back afterwards, so that the test that first asks for it keeps its tensors and its draws.</summary>
    internal Lesson03Setup(Mnist data)
    {
        Data = data;
        using var rng = random.get_rng_state();
        using (var scope = NewDisposeScope())
        {
            manual_seed(42);
            (W1, B1, W2, B2) = (randn(784, 50), zeros(50), randn(50, 1), zeros(1));
            Y = Data.YTrain.to_type(ScalarType.Float32);
            Tensor[] leaves = [.. new[] { X, W1, B1, W2, B2 }.Select(t => t.clone().requires_grad_(true))];
            var loss = (leaves[0].matmul(leaves[1]) + leaves[2]).clamp_min(0).matmul(leaves[3]) + leaves[4];
            (loss.squeeze(-1) - Y).pow(2).mean().backward();
            Reference = [.. leaves.Select(l => l.grad!)];
            foreach (var t in new[] { W1, B1, W2, B2, Y }.Concat(Reference)) t.DetachFromDisposeScope();
        }
        random.set_rng_state(rng);
    }

    /// <summary>The shared MNIST.</summary>
    public Mnist Data { get; }

    /// <summary>x_train, (50000, 784).</summary>
    public Tensor X => Data.XTrain;

    /// <summary>y_train.float(), (50000).</summary>
    public Tensor Y { get; }

    public Tensor W1 { get; }
    public Tensor B1 { get; }
    public Tensor W2 { get; }
    public Tensor B2 { get; }

    /// <summary>Autograd's dL/dx, dL/dw1, dL/db1, dL/dw2, dL/db2 for the MSE model on x_train (written out, not through the code under test).</summary>
    public IReadOnlyList<Tensor> Reference { get; }

    /// <summary>x, w1, b1, w2, b2 in the lesson's order.</summary>
    public Tensor[] Inputs => [X, W1, B1, W2, B2];

    public void Dispose()
    {
        foreach (var t in new[] { W1, B1, W2, B2, Y }.Concat(Reference)) t.Dispose();
    }
}
