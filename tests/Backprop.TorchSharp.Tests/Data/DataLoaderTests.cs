using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

[Collection(MnistGroup.Name)]
public sealed class DataLoaderTests(MnistFixture data)
{
    [Fact]
    public void The_first_batch_is_the_lesson_s()
    {
        using var dl = new DataLoader(data.TrainDs, 50);

        var (xb, yb) = dl.First(); // the lesson's next(iter(train_dl)); a batch taken out of the loop stays the caller's
        using (xb)
        using (yb)
        {
            Assert.Equal([50L, 784], xb.shape);
            Assert.Equal([50L], yb.shape);
            Assert.Equal([5L, 0, 4, 1, 9], yb[..5].data<long>().ToArray());
        }
        Assert.Equal(1000, dl.Count);
    }

    [Fact]
    public void A_shuffled_epoch_visits_every_sample_once_and_each_epoch_differs()
    {
        using var x = arange(1003, dtype: ScalarType.Float32).unsqueeze(1);
        using var y = arange(1003);
        using var dl = new DataLoader(new Dataset(x, y), 50, shuffle: true);

        var first = Labels(dl);
        var second = Labels(dl);

        Assert.Equal(21, first.Count);
        Assert.Equal(3, first[^1].Length);
        Assert.Equal(Enumerable.Range(0, 1003).Select(i => (long)i), first.SelectMany(b => b).Order());
        Assert.Equal(Enumerable.Range(0, 1003).Select(i => (long)i), second.SelectMany(b => b).Order());
        Assert.NotEqual(first.SelectMany(b => b), second.SelectMany(b => b));
    }

    [Fact]
    public void The_seed_makes_the_batches_reproducible()
    {
        using var dl = new DataLoader(data.ValidDs, 100, shuffle: true);

        manual_seed(1);
        var a = Labels(dl).Concat(Labels(dl)).SelectMany(b => b).ToArray();
        manual_seed(1);
        var b = Labels(dl).Concat(Labels(dl)).SelectMany(b => b).ToArray();

        Assert.Equal(a, b);
    }

    [Fact]
    public void An_epoch_takes_pytorch_s_draws_a_base_seed_then_the_sampler_s_seed()
    {
        // PyTorch: iter(dl) draws the workers' base seed; RandomSampler then draws the seed of its permutation.
        using var x = arange(120, dtype: ScalarType.Float32).unsqueeze(1);
        using var y = arange(120);
        using var train = new DataLoader(new Dataset(x, y), 50, shuffle: true);
        using var valid = new DataLoader(new Dataset(x, y), 100);
        var mt = new Mt19937(1);
        mt.NextSeed(); // the train loader's base seed
        using var g = new Generator((ulong)mt.NextSeed());
        using var expected = randperm(120, generator: g);
        mt.NextSeed(); // the valid loader's base seed

        manual_seed(1);
        var order = Labels(train).SelectMany(b => b).ToArray();
        Assert.Equal(2, Labels(valid).Count);

        Assert.Equal(expected.data<long>().ToArray(), order);
        Assert.Equal(mt.NextSeed(), TorchSeed.Draw()); // the stream is where PyTorch's would be
    }

    [Fact]
    public void Drop_last_drops_the_short_batch()
    {
        using var dl = new DataLoader(data.ValidDs, 300, shuffle: true, dropLast: true);

        var batches = Labels(dl);

        Assert.Equal(33, dl.Count);
        Assert.Equal(33, batches.Count);
        Assert.All(batches, b => Assert.Equal(300, b.Length));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Prefetching_gives_exactly_the_single_threaded_batches(int prefetch)
    {
        var ds = data.ValidDs;
        using var plain = new DataLoader(ds, 64, shuffle: true);
        using var ahead = new DataLoader(ds, 64, shuffle: true, prefetch: prefetch);

        for (var epoch = 0; epoch < 2; epoch++)
        {
            manual_seed(epoch);
            var expected = Sums(plain);
            manual_seed(epoch);
            var actual = Sums(ahead);

            Assert.Equal(157, actual.Count);
            Assert.Equal(expected.Select(b => b.x), actual.Select(b => b.x));
            Assert.Equal(expected.SelectMany(b => b.y), actual.SelectMany(b => b.y));
        }
    }

    [Fact]
    public void A_batch_lives_until_the_next_one_is_drawn_and_the_last_until_the_epoch_ends()
    {
        using var dl = new DataLoader(data.ValidDs, 4000, shuffle: true);
        using var batches = dl.GetEnumerator();

        Assert.True(batches.MoveNext());
        var (x0, y0) = batches.Current;
        Assert.False(x0.IsInvalid);
        Assert.True(batches.MoveNext());
        Assert.True(x0.IsInvalid);
        Assert.True(y0.IsInvalid);
        Assert.True(batches.MoveNext());
        var (x2, _) = batches.Current;
        Assert.Equal(2000, x2.shape[0]);
        Assert.False(batches.MoveNext());
        Assert.True(x2.IsInvalid);
    }

    [Fact]
    public void Breaking_out_of_a_prefetching_loader_stops_its_thread_and_the_next_epoch_is_whole()
    {
        using var dl = new DataLoader(data.ValidDs, 100, shuffle: true, prefetch: 2);

        foreach (var (xb, _) in dl)
        {
            Assert.Equal(100, xb.shape[0]);
            break;
        }

        Assert.Equal(100, Labels(dl).Count);
    }

    [Fact]
    public void A_loader_on_the_dataset_s_device_uses_the_dataset_as_it_is()
    {
        var ds = data.ValidDs;
        using var dl = new DataLoader(ds, 50, device: CPU);

        Assert.Same(ds, dl.Dataset);
        Assert.Equal(DeviceType.CPU, dl.Device.type);
    }

    [Fact]
    public void A_batch_sampler_for_another_dataset_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(data.ValidDs, new BatchSampler(new Sampler(10), 5)));

        Assert.Contains("covers 10 samples but the dataset holds 10000", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data.ValidDs, 50, prefetch: -1));
    }

    [CudaFact]
    public void Batches_land_on_cuda_from_a_dataset_copied_there_once()
    {
        using var dl = new DataLoader(data.ValidDs, 100, shuffle: true, device: CUDA, prefetch: 1);

        Assert.Equal(DeviceType.CUDA, dl.Dataset.X.device.type);
        var count = 0;
        foreach (var (xb, yb) in dl)
        {
            Assert.Equal(DeviceType.CUDA, xb.device.type);
            Assert.Equal(DeviceType.CUDA, yb.device.type);
            count++;
        }
        Assert.Equal(100, count);
    }

    private static List<long[]> Labels(DataLoader dl)
    {
        var batches = new List<long[]>();
        foreach (var (_, yb) in dl) batches.Add(yb.cpu().data<long>().ToArray());
        return batches;
    }

    private static List<(double x, long[] y)> Sums(DataLoader dl)
    {
        var batches = new List<(double, long[])>();
        foreach (var (xb, yb) in dl)
        {
            using var scope = NewDisposeScope();
            batches.Add((xb.sum().ToDouble(), yb.data<long>().ToArray()));
        }
        return batches;
    }
}
