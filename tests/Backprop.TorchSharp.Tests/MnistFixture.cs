using Backprop.Data;
using Backprop.Tests.Scratch;
using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests;

/// <summary>
/// The shipped MNIST, loaded once for every test class of the MNIST collection (<c>[Collection(MnistGroup.Name)]</c>),
/// and lesson 03's set-up on it, computed on first use. Tests read these tensors; none writes to them or disposes them.
/// </summary>
public sealed class MnistFixture : IDisposable
{
    private readonly Lazy<Lesson03Setup> _lesson03;

    public MnistFixture() => _lesson03 = new(() => new Lesson03Setup(Mnist));

    public Mnist Mnist { get; } = Mnist.Load(Repo.Data);

    public Dataset TrainDs => new(Mnist.XTrain, Mnist.YTrain);

    public Dataset ValidDs => new(Mnist.XValid, Mnist.YValid);

    /// <summary>Lesson 03's seed-42 weights, its float targets and autograd's reference gradients on x_train.</summary>
    public Lesson03Setup Lesson03 => _lesson03.Value;

    /// <summary>The accuracy of <paramref name="model"/> on the 10,000 validation images (whatever device the model is on).</summary>
    public double ValidAccuracy(Func<Tensor, Tensor> model, Device? device = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = device is null ? Mnist.XValid : Mnist.XValid.to(device);
        return Accuracy.Of(model(x).cpu(), Mnist.YValid).ToDouble();
    }

    public void Dispose()
    {
        if (_lesson03.IsValueCreated) _lesson03.Value.Dispose();
        Mnist.Dispose();
    }
}

/// <summary>
/// The test classes that share the loaded MNIST (<see cref="MnistFixture"/>) and the one-epoch run trained from it
/// (<see cref="TrainedRun"/>); the run is trained only when a test first asks for it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MnistGroup : ICollectionFixture<MnistFixture>, ICollectionFixture<TrainedRun>
{
    public const string Name = "MNIST";
}
